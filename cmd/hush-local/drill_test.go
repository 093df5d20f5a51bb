package main

import (
	"bytes"
	"errors"
	"flag"
	"net"
	"strings"
	"testing"
)

func TestDrillArguments(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no fault", []string{"drill"}, "name one FAULT"},
		{"two faults", []string{"drill", "gateway", "replica"}, "name one FAULT"},
		{"unknown fault", []string{"drill", "melt"}, `unknown fault "melt"`},
		{"nothing running", []string{"drill", "-status", "http://" + closed, "gateway"}, "is hush-local running there?"},
		{"no stack on the data dir", []string{"drill", "-data-dir", t.TempDir(), "invert"}, "start it first"},
		{"lose with no stack on the data dir", []string{"drill", "-data-dir", t.TempDir(), "lose"}, "start it first (make local STACK=prod)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestUsageListsSubcommands(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-h"}, &stdout, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run(-h) = %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(stderr.String(), "hush-local drill [flags]") {
		t.Errorf("usage does not list drill:\n%s", stderr.String())
	}
	stderr.Reset()
	if err := run([]string{"drill", "-h"}, &stdout, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run(drill -h) = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"gateway", "replica", "invert", "all", "lose", "-check-interval"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("drill usage lacks %q:\n%s", want, stderr.String())
		}
	}
}
