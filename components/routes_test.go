package components

import (
	"regexp"
	"testing"
)

func TestRegionalArn(t *testing.T) {
	got := regionalArn("arn:aws:dynamodb:eu-central-1:123456789012:table/hush-prod", "us-east-1")
	if want := "arn:aws:dynamodb:us-east-1:123456789012:table/hush-prod"; got != want {
		t.Errorf("regionalArn = %q, want %q", got, want)
	}
}

func TestClientIDExpression(t *testing.T) {
	tests := []struct {
		name, clientID, want string
		matches, refuses     []string
	}{
		{"plain ID", "4tbl0ogjv3rha2tq8k3dsv8mpp", `^4tbl0ogjv3rha2tq8k3dsv8mpp$`,
			[]string{"4tbl0ogjv3rha2tq8k3dsv8mpp"},
			[]string{"x4tbl0ogjv3rha2tq8k3dsv8mpp", "4tbl0ogjv3rha2tq8k3dsv8mppx", ""}},
		{"metacharacters escaped", "a.b+c", `^a\.b\+c$`,
			[]string{"a.b+c"},
			[]string{"aXb+c", "a.bbc", "a.b+c2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ClientIDExpression(tt.clientID)
			if got != tt.want {
				t.Fatalf("ClientIDExpression(%q) = %q, want %q", tt.clientID, got, tt.want)
			}
			re := regexp.MustCompile(got)
			for _, aud := range tt.matches {
				if !re.MatchString(aud) {
					t.Errorf("%q does not match aud %q", got, aud)
				}
			}
			for _, aud := range tt.refuses {
				if re.MatchString(aud) {
					t.Errorf("%q matches aud %q of another client", got, aud)
				}
			}
		})
	}
}
