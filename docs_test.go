package main

import (
	"bytes"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// maxReadmeLines bounds README.md: it is the front page, and everything
// longer belongs on a page under docs/.
const maxReadmeLines = 250

// TestReadmeIsShort keeps README.md a front page.
func TestReadmeIsShort(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	if got := lineCount(raw); got > maxReadmeLines {
		t.Errorf("README.md has %d lines, want at most %d: move the detail to a page under docs/ and link it", got, maxReadmeLines)
	}
}

// TestReadmeLinksEveryPage checks that every page under docs/ is linked from
// README.md, so a newcomer can reach each one from the front page.
func TestReadmeLinksEveryPage(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	linked := map[string]bool{}
	for _, l := range markdownLinks(raw) {
		target, _, _ := strings.Cut(l.target, "#")
		linked[path.Clean(target)] = true
	}
	pages := docPages(t)[1:]
	if len(pages) == 0 {
		t.Fatal("no pages under docs/")
	}
	for _, p := range pages {
		if !linked[filepath.ToSlash(p)] {
			t.Errorf("README.md does not link %s", p)
		}
	}
}

// TestDocLinksResolve checks every relative link and image of README.md and
// the pages: each must name a file of the repository that exists and, when
// it has a #fragment into a Markdown file, a heading of that file. A link
// that leaves the repository is an error even if the file exists on this
// machine, since no clone has it.
func TestDocLinksResolve(t *testing.T) {
	for _, page := range docPages(t) {
		raw, err := os.ReadFile(page)
		if err != nil {
			t.Fatalf("read %s: %v", page, err)
		}
		for _, l := range markdownLinks(raw) {
			if isExternal(l.target) {
				continue
			}
			target, fragment, _ := strings.Cut(l.target, "#")
			file := page
			if target != "" {
				file = filepath.Join(filepath.Dir(page), filepath.FromSlash(target))
				if !insideRepo(file) {
					t.Errorf("%s:%d: link %q points outside the repository", page, l.line, l.target)
					continue
				}
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s:%d: link %q: no such file %s", page, l.line, l.target, file)
					continue
				}
			}
			if fragment == "" || !strings.HasSuffix(file, ".md") {
				continue
			}
			anchors, err := headingAnchors(file)
			if err != nil {
				t.Fatalf("%s:%d: %v", page, l.line, err)
			}
			if !anchors[fragment] {
				t.Errorf("%s:%d: link %q: %s has no heading with the anchor #%s", page, l.line, l.target, file, fragment)
			}
		}
	}
}

// outsideDocument matches the file name and the phrase by which code and
// pages once sent readers to the project's design notes, which live outside
// the repository. The pages under docs/ say what the project is; nothing in
// the repository may send a reader to a file no clone has.
var outsideDocument = regexp.MustCompile(`(?i)design\.md|design[ ]doc`)

// TestNoReferenceOutsideTheRepository checks every text file of the
// repository: none mentions the notes outsideDocument names, and no
// Markdown text and no comment (in Go, YAML, shell and the Makefile) names a
// relative path that climbs out of the repository.
func TestNoReferenceOutsideTheRepository(t *testing.T) {
	root, err := os.OpenRoot(".")
	if err != nil {
		t.Fatalf("open the repository: %v", err)
	}
	defer root.Close()
	repo := root.FS()
	err = fs.WalkDir(repo, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && skippedDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		raw, err := fs.ReadFile(repo, p)
		if err != nil {
			return err
		}
		if bytes.IndexByte(raw, 0) >= 0 {
			return nil // binary: an image, a build output
		}
		for i, line := range strings.Split(string(raw), "\n") {
			if m := outsideDocument.FindString(line); m != "" {
				t.Errorf("%s:%d: refers to %q, a document outside the repository; link the page under docs/ instead", p, i+1, m)
			}
		}
		for _, ref := range relativeRefs(p, raw) {
			if !insideRepo(filepath.Join(filepath.Dir(p), filepath.FromSlash(ref.path))) {
				t.Errorf("%s:%d: names %q, a path outside the repository", p, ref.line, ref.path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk the repository: %v", err)
	}
}

// skippedDir reports whether a directory holds no files of the project:
// version control, installed npm packages, local build output and data.
func skippedDir(name string) bool {
	return name == ".git" || name == "node_modules" || name == ".hush"
}

// docPages returns README.md and the pages under docs/, whose links must
// resolve. Only docs/*.md: drafts in a subfolder (such as a docs/incoming/
// of text to be spliced into the pages, with links written for their
// destination) are not among them.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md"}, pages...)
}

// insideRepo reports whether p, relative to the repository root, stays inside it.
func insideRepo(p string) bool {
	rel := filepath.ToSlash(filepath.Clean(p))
	return rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(p)
}

// isExternal reports whether a link target is a URL rather than a path.
func isExternal(target string) bool {
	return urlScheme.MatchString(target)
}

func lineCount(raw []byte) int {
	n := bytes.Count(raw, []byte("\n"))
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		n++
	}
	return n
}

// A link is the target of one Markdown link or image, and its line.
type link struct {
	target string
	line   int
}

var (
	// inlineLink matches [text](target) and ![alt](target), with an
	// optional title after the target.
	inlineLink = regexp.MustCompile(`\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	// referenceDef matches a link reference definition: [label]: target.
	referenceDef = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$`)
	// codeSpan matches inline code, whose brackets are not links.
	codeSpan = regexp.MustCompile("`+[^`]*`+")
	// atxHeading matches a heading line and captures its text.
	atxHeading = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	// urlScheme matches the scheme that starts a URL (https:, mailto:).
	urlScheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// markdownLinks returns the links of a Markdown text, outside code blocks
// and code spans.
func markdownLinks(raw []byte) []link {
	var links []link
	for i, line := range proseLines(raw) {
		if line == "" {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		if m := referenceDef.FindStringSubmatch(line); m != nil {
			links = append(links, link{target: m[1], line: i + 1})
			continue
		}
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			links = append(links, link{target: m[1], line: i + 1})
		}
	}
	return links
}

// proseLines returns the lines of a Markdown text with those of fenced code
// blocks blanked, so line numbers stay those of the file. Indented code
// blocks are read as prose: none of the pages has a link-like text in one,
// and telling them from list continuations needs a full parser.
func proseLines(raw []byte) []string {
	lines := strings.Split(string(raw), "\n")
	fence := ""
	for i, line := range lines {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			lines[i] = ""
		case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
			lines[i] = ""
		}
	}
	return lines
}

// headingAnchors returns the anchors GitHub gives the headings of a
// Markdown file.
func headingAnchors(file string) (map[string]bool, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, line := range proseLines(raw) {
		m := atxHeading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := headingSlug(m[1])
		if n := seen[slug]; n > 0 {
			anchors[slug+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	return anchors, nil
}

// headingSlug is GitHub's anchor of a heading: lower case, spaces as
// hyphens, and every character other than a letter, digit, hyphen or
// underscore dropped.
func headingSlug(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// A relativeRef is a relative path that starts by climbing to a parent
// directory, as a file names it, and its line.
type relativeRef struct {
	path string
	line int
}

// climbingPath matches a relative path that starts with a parent directory.
var climbingPath = regexp.MustCompile(`(?:^|[\s(\x60'"])((?:\.\./)+[^\s)\x60'"]*)`)

// relativeRefs returns the climbing paths a file names where a reader
// would follow them: anywhere in Markdown, in the comments of Go, and in
// the # comments of YAML, shell and Makefiles. String literals of code are
// data (a hostile test may well send a path to /etc/passwd), so they are
// not read.
func relativeRefs(p string, raw []byte) []relativeRef {
	type span struct {
		text string
		line int // the line of the file the text starts on
	}
	var texts []span
	switch ext := filepath.Ext(p); {
	case ext == ".md":
		texts = append(texts, span{text: string(raw), line: 1})
	case ext == ".go":
		fset := token.NewFileSet()
		file := fset.AddFile(p, -1, len(raw))
		var s scanner.Scanner
		s.Init(file, raw, nil, scanner.ScanComments)
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok == token.COMMENT {
				texts = append(texts, span{text: lit, line: fset.Position(pos).Line})
			}
		}
	case ext == ".yml" || ext == ".yaml" || ext == ".sh" || filepath.Base(p) == "Makefile" || filepath.Base(p) == "run":
		for i, line := range strings.Split(string(raw), "\n") {
			if _, comment, ok := strings.Cut(line, "#"); ok {
				texts = append(texts, span{text: comment, line: i + 1})
			}
		}
	}
	var refs []relativeRef
	for _, text := range texts {
		for i, line := range strings.Split(text.text, "\n") {
			for _, m := range climbingPath.FindAllStringSubmatch(line, -1) {
				refs = append(refs, relativeRef{path: m[1], line: text.line + i})
			}
		}
	}
	return refs
}
