package statusrec

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPath(t *testing.T) {
	tests := []struct {
		name, path string
		want       string // "" means: cut, checked by the rules below
	}{
		{"short", "/v1/health", "/v1/health"},
		{"exactly the limit", "/" + strings.Repeat("a", MaxPathBytes-1), "/" + strings.Repeat("a", MaxPathBytes-1)},
		{"one byte over", "/" + strings.Repeat("a", MaxPathBytes), ""},
		{"900 KB", "/v1/player/" + strings.Repeat("x", 900<<10), ""},
		{"multi-byte characters across the cut", "/" + strings.Repeat("é", MaxPathBytes), ""},
		{"four-byte characters across the cut", "/" + strings.Repeat("🏓", MaxPathBytes), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Path(tt.path)
			if tt.want != "" {
				if got != tt.want {
					t.Errorf("Path() = %q, want %q", got, tt.want)
				}
				return
			}
			if len(got) > MaxPathBytes {
				t.Errorf("Path() has %d bytes, want at most %d", len(got), MaxPathBytes)
			}
			if !utf8.ValidString(got) || !strings.HasSuffix(got, cutMark) {
				t.Errorf("Path() = %q, want valid UTF-8 ending in %q", got, cutMark)
			}
			if start := strings.TrimSuffix(got, cutMark); !strings.HasPrefix(tt.path, start) || len(start) < MaxPathBytes-len(cutMark)-3 {
				t.Errorf("Path() keeps %d bytes %q, want the path's start, as much as fits", len(start), start)
			}
		})
	}
}
