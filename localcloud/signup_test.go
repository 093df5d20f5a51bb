package localcloud

import (
	"testing"

	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/localcloud/gateway"
)

// TestSelfSignUpFromStackFile: a local stack opens sign-up exactly where
// its Pulumi.<stack>.yaml says hush:selfSignUp: true, also when the options
// give the regions and throttling, and keeps it closed for a stack without
// a file.
func TestSelfSignUpFromStackFile(t *testing.T) {
	root, err := child.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
		want bool
	}{
		{"dev", Options{Stack: "dev"}, true},
		{"stage", Options{Stack: "stage"}, true},
		{"prod", Options{Stack: "prod"}, false},
		{"dev with regions and throttle given", Options{Stack: "dev", Regions: []string{"eu-west-1"}, Throttle: &gateway.Throttle{}}, true},
		{"no stack file", Options{Stack: "test", Regions: []string{"eu-west-1"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := loadSettings(root, tt.opts)
			if err != nil {
				t.Fatalf("loadSettings: %v", err)
			}
			if set.selfSignUp != tt.want {
				t.Errorf("selfSignUp = %v, want %v", set.selfSignUp, tt.want)
			}
		})
	}
}
