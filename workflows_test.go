package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hush-scores/hush/components"
)

// TestWorkflowsNameExistingStacksAndOutputs checks that every stack a
// workflow deploys or previews has its Pulumi.<stack>.yaml, that together
// they cover every stack file, and that every stack output a workflow reads
// is one the program exports.
func TestWorkflowsNameExistingStacksAndOutputs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found under .github/workflows (%v)", err)
	}
	stackFiles, err := filepath.Glob("Pulumi.*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var stacks []string
	for _, f := range stackFiles {
		stacks = append(stacks, regexp.MustCompile(`^Pulumi\.(.+)\.yaml$`).FindStringSubmatch(f)[1])
	}
	exported := []string{
		components.OutputAPIURLs, components.OutputAPIURL, components.OutputUserPoolID,
		components.OutputUserPoolClientID, components.OutputTableName, components.OutputHomeRegion,
		components.OutputRegions, components.OutputDashboardURL, components.OutputDomainURL,
	}
	// Stack outputs are read with jq from `pulumi stack output --json`.
	outputRef := regexp.MustCompile(`jq -r '\.([A-Za-z]+)`)

	deployed, previewed := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			Jobs map[string]struct {
				Uses string `yaml:"uses"`
				With struct {
					Stack string `yaml:"stack"`
				} `yaml:"with"`
				Strategy struct {
					Matrix struct {
						Include []struct {
							Stack string `yaml:"stack"`
						} `yaml:"include"`
					} `yaml:"matrix"`
				} `yaml:"strategy"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(raw, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for name, job := range wf.Jobs {
			if s := job.With.Stack; s != "" {
				if !slices.Contains(stacks, s) {
					t.Errorf("%s: job %s deploys stack %q, which has no Pulumi.%s.yaml", f, name, s, s)
				}
				deployed[s] = true
			}
			for _, inc := range job.Strategy.Matrix.Include {
				if inc.Stack == "" {
					continue
				}
				if !slices.Contains(stacks, inc.Stack) {
					t.Errorf("%s: job %s previews stack %q, which has no Pulumi.%s.yaml", f, name, inc.Stack, inc.Stack)
				}
				previewed[inc.Stack] = true
			}
		}
		for _, m := range outputRef.FindAllStringSubmatch(string(raw), -1) {
			if !slices.Contains(exported, m[1]) {
				t.Errorf("%s reads stack output %q, which the program does not export (%v)", f, m[1], exported)
			}
		}
	}
	for _, s := range stacks {
		if !deployed[s] || !previewed[s] {
			t.Errorf("stack %s: deployed by a workflow = %v, previewed = %v; want both", s, deployed[s], previewed[s])
		}
	}
}
