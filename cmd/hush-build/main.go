// Command hush-build builds Hush's Lambda handlers as bootstrap binaries,
// with the one build the Pulumi program also uses (internal/lambdabuild):
//
//	go run ./cmd/hush-build                                  # make build: linux/arm64 into .hush/build
//	go run ./cmd/hush-build -arch amd64 -out .hush/coldstart # make coldstart: this machine's architecture
//
// It builds every function under handlers/ (or those named as arguments)
// into <out>/<function>/bootstrap and prints each one's size. Run it from
// the module root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hush-scores/hush/internal/lambdabuild"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "hush-build:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hush-build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: hush-build [flags] [function ...]\n\n"+
			"Builds each Lambda handler (default: every folder under handlers/) as\n"+
			"<out>/<function>/bootstrap for linux/<arch>, reproducibly.\n\n")
		fs.PrintDefaults()
	}
	arch := fs.String("arch", lambdabuild.Arch, "architecture: "+strings.Join(lambdabuild.Arches, " or ")+" (the deployed functions run on arm64)")
	out := fs.String("out", filepath.Join(".hush", "build"), "folder that receives <function>/bootstrap")
	module := fs.String("module", ".", "root of the module that holds handlers/")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fns := fs.Args()
	if len(fns) == 0 {
		var err error
		if fns, err = lambdabuild.Functions(*module); err != nil {
			return err
		}
	}
	b := lambdabuild.New(*module)
	for _, fn := range fns {
		path := filepath.Join(*out, fn, "bootstrap")
		if err := b.Compile(ctx, fn, *arch, path); err != nil {
			return err
		}
		info, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("%s: %w", fn, err)
		}
		fmt.Fprintf(stdout, "  %-8s %s  %d bytes (linux/%s)\n", fn, path, info.Size(), *arch)
	}
	return nil
}
