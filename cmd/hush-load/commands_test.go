package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

// TestCommands checks the command line above the flags: which subcommand
// runs, and the message of every mistake, a flag of the other subcommand
// included. None of these cases gets as far as starting a stack.
func TestCommands(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"no command", nil, "no command: want endpoints or day"},
		{"unknown command", []string{"bench"}, `unknown command "bench": want endpoints or day`},
		{"flags before a command", []string{"-concurrency", "4"}, "a command comes before the flags"},
		{"the old scenario flag", []string{"-scenario", "day"}, "-scenario day is now hush-load day"},
		{"day with a flag of endpoints", []string{"day", "-concurrency", "32"}, "-concurrency is a flag of hush-load endpoints, not of hush-load day"},
		{"day with -duration=", []string{"day", "-quick", "-duration=20s"}, "-duration is a flag of hush-load endpoints"},
		{"day with -endpoints after a valued flag", []string{"day", "-stack", "prod", "--endpoints", "match"}, "-endpoints is a flag of hush-load endpoints"},
		{"day with -target", []string{"day", "-target", "http://127.0.0.1:7460/dev"}, "its own local stack"},
		{"endpoints with a flag of day", []string{"endpoints", "-quick"}, "-quick is a flag of hush-load day, not of hush-load endpoints"},
		{"endpoints with an unknown flag", []string{"endpoints", "-bogus"}, "flag provided but not defined: -bogus"},
		{"day with an unknown flag", []string{"day", "-bogus"}, "flag provided but not defined: -bogus"},
		{"day with a stray argument", []string{"day", "extra"}, "unexpected arguments"},
		{"endpoints with a bad bound", []string{"endpoints", "-concurrency", "0"}, "-concurrency 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
			if stdout.Len() > 0 {
				t.Errorf("run(%q) wrote to stdout: %q", tt.args, stdout.String())
			}
		})
	}
}

// TestHelp: -h at either level prints a usage text and is no failure.
func TestHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"top level", []string{"-h"}, []string{"Usage: hush-load <command> [flags]", "  endpoints ", "  day ", "hush-load <command> -h"}},
		{"help", []string{"help"}, []string{"Usage: hush-load <command> [flags]"}},
		{"endpoints", []string{"endpoints", "-h"}, []string{"Usage: hush-load endpoints [flags]", "-concurrency", "-target"}},
		{"day", []string{"day", "-help"}, []string{"Usage: hush-load day [flags]", "-quick", "-stack"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(t.Context(), tt.args, io.Discard, &stderr)
			if !errors.Is(err, flag.ErrHelp) {
				t.Errorf("run(%q) = %v, want flag.ErrHelp", tt.args, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("usage lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
	var stderr bytes.Buffer
	_ = run(t.Context(), []string{"day", "-h"}, io.Discard, &stderr)
	for _, other := range []string{"-concurrency", "-duration", "-endpoints", "-target"} {
		if strings.Contains(stderr.String(), other) {
			t.Errorf("hush-load day -h lists %s, a flag of endpoints:\n%s", other, stderr.String())
		}
	}
}

func TestParseDay(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want dayConfig
	}{
		{"defaults", nil, dayConfig{Stack: "dev"}},
		{"as make bench-day", []string{"-stack", "prod"}, dayConfig{Stack: "prod"}},
		{"quick, throttled", []string{"-quick", "-throttle", "-stack=stage"}, dayConfig{Stack: "stage", Throttle: true, Quick: true}},
		{"a looser write bound", []string{"-write-timeout", "10s"}, dayConfig{Stack: "dev", WriteTimeout: 10 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDay(tt.args, io.Discard)
			if err != nil || got != tt.want {
				t.Errorf("parseDay(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"-1s", "11s"} {
		if _, err := parseDay([]string{"-write-timeout", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "-write-timeout") {
			t.Errorf("parseDay(-write-timeout %s) = %v, want an error naming -write-timeout", bad, err)
		}
	}
}
