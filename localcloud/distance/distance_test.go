package distance

import (
	"errors"
	"flag"
	"io"
	"testing"
	"time"
)

var prod = []string{"eu-central-1", "eu-west-1", "us-east-1"}

func TestTableIsSymmetricAndWrittenOnce(t *testing.T) {
	for pair := range rtts {
		if _, twice := rtts[[2]string{pair[1], pair[0]}]; twice {
			t.Errorf("pair %v is written both ways", pair)
		}
		if pair[0] == pair[1] {
			t.Errorf("pair %v is a region with itself", pair)
		}
		ab, ok1 := RTT(pair[0], pair[1])
		ba, ok2 := RTT(pair[1], pair[0])
		if !ok1 || !ok2 || ab != ba || ab <= 0 {
			t.Errorf("RTT(%s, %s) = %v %v, reversed %v %v: want one positive known figure", pair[0], pair[1], ab, ok1, ba, ok2)
		}
	}
	if d, ok := RTT("eu-west-1", "eu-west-1"); d != 0 || !ok {
		t.Errorf("RTT of a region to itself = %v %v, want 0 true", d, ok)
	}
	if _, ok := RTT("eu-west-1", "sa-east-1"); ok {
		t.Error("RTT of a pair the table lacks reported ok")
	}
}

func TestFarthest(t *testing.T) {
	tests := []struct {
		name    string
		regions []string
		a, b    string
		rtt     time.Duration
		ok      bool
	}{
		{"prod", prod, "eu-central-1", "us-east-1", 90 * time.Millisecond, true},
		{"stage", []string{"eu-central-1", "eu-west-1"}, "eu-central-1", "eu-west-1", 25 * time.Millisecond, true},
		{"one region", []string{"eu-central-1"}, "", "", 0, false},
		{"a pair the table lacks", []string{"eu-central-1", "sa-east-1"}, "", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, rtt, ok := Farthest(tt.regions)
			if a != tt.a || b != tt.b || rtt != tt.rtt || ok != tt.ok {
				t.Errorf("Farthest(%v) = %s %s %v %v, want %s %s %v %v", tt.regions, a, b, rtt, ok, tt.a, tt.b, tt.rtt, tt.ok)
			}
		})
	}
}

func TestModel(t *testing.T) {
	tests := []struct {
		flag   string
		a, b   string
		want   time.Duration
		String string
	}{
		{"", "eu-central-1", "us-east-1", 90 * time.Millisecond, "table"},
		{"table", "us-east-1", "eu-central-1", 90 * time.Millisecond, "table"},
		{"0.5x", "eu-central-1", "us-east-1", 45 * time.Millisecond, "0.5x"},
		{"2x", "eu-central-1", "eu-west-1", 50 * time.Millisecond, "2x"},
		{"0x", "eu-central-1", "us-east-1", 0, "none"},
		{"20ms", "eu-central-1", "us-east-1", 20 * time.Millisecond, "20ms"},
		{"20ms", "eu-central-1", "sa-east-1", 20 * time.Millisecond, "20ms"}, // a flat figure needs no table
		{"0", "eu-central-1", "us-east-1", 0, "none"},
		{"none", "eu-central-1", "us-east-1", 0, "none"},
		{"0.5x", "us-east-1", "us-east-1", 0, "0.5x"}, // a region to itself is never delayed
	}
	for _, tt := range tests {
		t.Run(tt.flag+" "+tt.a+" "+tt.b, func(t *testing.T) {
			m, err := ParseModel(tt.flag)
			if err != nil {
				t.Fatalf("ParseModel(%q): %v", tt.flag, err)
			}
			got, err := m.RTT(tt.a, tt.b)
			if err != nil || got != tt.want {
				t.Errorf("RTT(%s, %s) under %q = %v, %v; want %v", tt.a, tt.b, tt.flag, got, err, tt.want)
			}
			if m.String() != tt.String {
				t.Errorf("String() = %q, want %q", m.String(), tt.String)
			}
			back, err := ParseModel(m.String())
			if err != nil || back != m {
				t.Errorf("ParseModel(String()) = %+v, %v; want %+v", back, err, m)
			}
		})
	}
}

func TestModelRefusesWhatItCannotMean(t *testing.T) {
	for _, bad := range []string{"-20ms", "-1x", "fast", "x", "20", "101x"} {
		if m, err := ParseModel(bad); err == nil {
			t.Errorf("ParseModel(%q) = %+v, want an error", bad, m)
		}
	}
	if _, err := (Model{}).RTT("eu-central-1", "sa-east-1"); !errors.Is(err, ErrUnknownPair) {
		t.Errorf("the table's model on a pair it lacks: %v, want ErrUnknownPair", err)
	}
}

func TestModelIsAFlag(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var m Model
	fs.Var(&m, "cross-region-rtt", "")
	if err := fs.Parse([]string{"-cross-region-rtt", "0.25x"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.RTT("eu-central-1", "us-east-1"); got != 23*time.Millisecond {
		t.Errorf("after -cross-region-rtt 0.25x, RTT = %v, want 23ms (90 ms x 0.25, rounded to the ms)", got)
	}
	if err := fs.Parse([]string{"-cross-region-rtt", "soon"}); err == nil {
		t.Error("a bad value parsed")
	}
}
