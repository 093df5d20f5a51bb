package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hush-scores/hush/localcloud/drill"
)

// recorder is a drill.Breaker that records what it was asked to do.
type recorder struct{ calls []string }

func (r *recorder) Break(_ context.Context, f drill.Fault, region string) error {
	r.calls = append(r.calls, fmt.Sprintf("break %s %s", f, region))
	return nil
}

func (r *recorder) Restore(_ context.Context, f drill.Fault, region string) error {
	r.calls = append(r.calls, fmt.Sprintf("restore %s %s", f, region))
	return nil
}

func (r *recorder) MoveWriteRegion(_ context.Context, region string, force bool) error {
	r.calls = append(r.calls, fmt.Sprintf("move %s force=%v", region, force))
	return nil
}

// TestConsoleFaults checks that the console's fault commands, shorthands
// included, reach the stack's faults with the fault words hush-local drill
// parses, and refuse what it refuses.
func TestConsoleFaults(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		wantCall string
		wantOut  string
		wantErr  string
	}{
		{"break a gateway", "break gateway us-east-1", "break gateway us-east-1", "us-east-1 gateway is stopped", ""},
		{"restore a replica", "restore replica eu-west-1", "restore replica eu-west-1", "eu-west-1 replica is up", ""},
		{"invert a check", "break invert eu-west-1", "break invert eu-west-1", "health check is inverted", ""},
		{"cut is break cutoff", "cut eu-west-1", "break cutoff eu-west-1", "eu-west-1 is cut off", ""},
		{"reconnect is restore cutoff", "reconnect eu-west-1", "restore cutoff eu-west-1", "eu-west-1 is reconnected", ""},
		{"down is break replica", "down eu-west-1", "break replica eu-west-1", "eu-west-1 replica is down", ""},
		{"up is restore replica", "up eu-west-1", "restore replica eu-west-1", "eu-west-1 replica is up", ""},
		{"an unknown fault", "break melt eu-west-1", "", "", `unknown fault "melt"`},
		{"no region", "break cutoff", "", "", "needs a FAULT and one REGION"},
		{"a shorthand without a region", "cut", "", "", "cut needs one REGION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			var out bytes.Buffer
			f, err := expand(strings.Fields(tt.line))
			if err == nil {
				err = fault(t.Context(), rec, f, &out)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("%q: error %v, want one containing %q", tt.line, err, tt.wantErr)
				}
				if len(rec.calls) > 0 {
					t.Errorf("%q: called %v, want nothing", tt.line, rec.calls)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: %v", tt.line, err)
			}
			if len(rec.calls) != 1 || rec.calls[0] != tt.wantCall {
				t.Errorf("%q called %v, want [%s]", tt.line, rec.calls, tt.wantCall)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("%q answered %q, want %q", tt.line, out.String(), tt.wantOut)
			}
		})
	}
}

// TestConsoleMovesTheWriteRegion checks that write-region reaches the
// stack's operator, planned or forced, and refuses other words.
func TestConsoleMovesTheWriteRegion(t *testing.T) {
	tests := []struct {
		name, line, wantCall, wantErr string
	}{
		{"planned", "write-region eu-west-1", "move eu-west-1 force=false", ""},
		{"forced", "write-region us-east-1 force", "move us-east-1 force=true", ""},
		{"no region", "write-region", "", "needs one REGION"},
		{"another word", "write-region us-east-1 now", "", "then force or nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			var out bytes.Buffer
			err := moveWriteRegion(t.Context(), rec, strings.Fields(tt.line), &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("%q: error %v, want one containing %q", tt.line, err, tt.wantErr)
				}
				if len(rec.calls) != 0 {
					t.Errorf("%q moved the write region: %v", tt.line, rec.calls)
				}
				return
			}
			if err != nil || len(rec.calls) != 1 || rec.calls[0] != tt.wantCall {
				t.Errorf("%q: calls %v, err %v; want [%s]", tt.line, rec.calls, err, tt.wantCall)
			}
		})
	}
}
