package stackconfig

import "testing"

func TestSelfSignUp(t *testing.T) {
	for _, tt := range []struct {
		name, value string
		set         bool
		want        bool
		fails       bool
	}{
		{"unset means closed", "", false, false, false},
		{"true", "true", true, true, false},
		{"false", "false", true, false, false},
		{"not a boolean", "yes", true, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := parser{values: map[string]string{}}
			if tt.set {
				p.values["hush:selfSignUp"] = tt.value
			}
			got := p.selfSignUp()
			if got != tt.want || (len(p.errs) > 0) != tt.fails {
				t.Errorf("selfSignUp() = %v with errors %v; want %v, failing %v", got, p.errs, tt.want, tt.fails)
			}
		})
	}
}
