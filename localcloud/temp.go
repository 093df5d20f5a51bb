package localcloud

import (
	"context"
	"fmt"
	"os"
)

// StartTemp starts a throwaway stack, as httptest.NewServer starts a
// throwaway server: Start on free ports (unless opts.BasePort says
// otherwise) with a fresh temporary data dir, which Close removes. It is
// what the e2e suite, the load tool and the tests use; opts.DataDir must
// be empty.
func StartTemp(ctx context.Context, opts Options) (*Stack, error) {
	if opts.DataDir != "" {
		return nil, fmt.Errorf("localcloud: StartTemp makes its own data dir; got %s", opts.DataDir)
	}
	dir, err := os.MkdirTemp("", "hush-local-"+opts.Stack+"-")
	if err != nil {
		return nil, fmt.Errorf("localcloud: data dir: %w", err)
	}
	opts.DataDir = dir
	s, err := Start(ctx, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.tempDir = dir
	return s, nil
}
