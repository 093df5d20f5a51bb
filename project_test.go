package main

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestProjectFile checks the settings of Pulumi.yaml that keep a deployment
// safe: the Go runtime, and default providers disabled so that no resource can
// land in whatever region the shell points at.
func TestProjectFile(t *testing.T) {
	raw, err := os.ReadFile("Pulumi.yaml")
	if err != nil {
		t.Fatalf("read Pulumi.yaml: %v", err)
	}
	var project struct {
		Name    string `yaml:"name"`
		Runtime string `yaml:"runtime"`
		Config  map[string]struct {
			Value []string `yaml:"value"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &project); err != nil {
		t.Fatalf("parse Pulumi.yaml: %v", err)
	}
	if project.Name != "hush" || project.Runtime != "go" {
		t.Errorf("name, runtime = %q, %q; want hush, go", project.Name, project.Runtime)
	}
	if got := project.Config["pulumi:disable-default-providers"].Value; !slices.Equal(got, []string{"*"}) {
		t.Errorf("pulumi:disable-default-providers = %q, want [*]", got)
	}
}
