package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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
		components.OutputIdentityReplicaRegion,
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

// TestDeployChecksIdentityReplica checks that deploying prod runs
// hush-idcheck as its documentation says (read-only, on the outputs just
// saved, after every pulumi up) before the e2e suite, and that deploy.yml
// deploys prod through that workflow.
func TestDeployChecksIdentityReplica(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(".github", "workflows", "deploy-stack.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string `yaml:"name"`
				If   string `yaml:"if"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("deploy-stack.yml: %v", err)
	}
	steps := wf.Jobs["deploy"].Steps
	saved, check, e2e := -1, -1, -1
	for i, s := range steps {
		switch {
		case strings.Contains(s.Run, "pulumi stack output --json") && strings.Contains(s.Run, "> outputs.json"):
			saved = i
		case strings.Contains(s.Run, "./cmd/hush-idcheck"):
			check = i
			if want := "go run ./cmd/hush-idcheck -outputs outputs.json"; strings.TrimSpace(s.Run) != want {
				t.Errorf("step %q runs %q, want %q (the check only: -apply rewrites the pool, an operator's step)", s.Name, strings.TrimSpace(s.Run), want)
			}
			if !strings.Contains(s.If, "inputs.stack == 'prod'") {
				t.Errorf("step %q runs if %q, want it always run for prod (inputs.stack == 'prod')", s.Name, s.If)
			}
		case strings.Contains(s.Run, "go test") && strings.Contains(s.Run, "./e2e"):
			e2e = i
		}
	}
	switch {
	case saved < 0:
		t.Errorf("deploy-stack.yml has no step saving `pulumi stack output --json > outputs.json`")
	case check < 0:
		t.Errorf("deploy-stack.yml does not run hush-idcheck")
	case check < saved:
		t.Errorf("hush-idcheck runs at step %d, before the outputs are saved at step %d", check, saved)
	case e2e >= 0 && check > e2e:
		t.Errorf("hush-idcheck runs at step %d, after the e2e suite at step %d: a pool that lost its key should fail before", check, e2e)
	}

	raw, err = os.ReadFile(filepath.Join(".github", "workflows", "deploy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var deploy struct {
		Jobs map[string]struct {
			Uses string `yaml:"uses"`
			With struct {
				Stack string `yaml:"stack"`
			} `yaml:"with"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &deploy); err != nil {
		t.Fatalf("deploy.yml: %v", err)
	}
	if prod := deploy.Jobs["prod"]; prod.Uses != "./.github/workflows/deploy-stack.yml" || prod.With.Stack != "prod" {
		t.Errorf("deploy.yml's prod job uses %q with stack %q, want ./.github/workflows/deploy-stack.yml with prod", prod.Uses, prod.With.Stack)
	}
}
