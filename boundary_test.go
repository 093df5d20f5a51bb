package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// modulePath is this module's import path.
const modulePath = "github.com/hush-scores/hush"

// emulation are the packages that stand in for AWS on a developer's machine:
// the local cloud, the emulator launchers and the loopback guard. Each entry
// covers the package and everything under it.
var emulation = []string{
	modulePath + "/localcloud",
	modulePath + "/internal/dynamolocal",
	modulePath + "/internal/child",
	modulePath + "/internal/loopguard",
}

// production are what runs against AWS: the Pulumi program, the Lambda
// functions and the operators' repair tool.
var production = []string{".", "./components/...", "./stackconfig/...", "./handlers/...", "./cmd/hush-repair"}

// emulationDeps lists, per package matched by patterns, the emulation
// packages it imports directly or indirectly (tests excluded: they may
// start an emulator).
func emulationDeps(t *testing.T, patterns ...string) map[string][]string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH (install Go): %v", err)
	}
	args := append([]string{"list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`}, patterns...)
	out, err := exec.Command(goCmd, args...).Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	found := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		for _, dep := range fields[1:] {
			if slices.ContainsFunc(emulation, func(e string) bool { return dep == e || strings.HasPrefix(dep, e+"/") }) {
				found[fields[0]] = append(found[fields[0]], dep)
			}
		}
	}
	return found
}

// TestProductionImportsNoEmulation keeps the emulation out of what ships:
// a Lambda function, the Pulumi program or hush-repair that imported the
// local cloud would carry it to AWS, and could reach for an emulator in
// production.
func TestProductionImportsNoEmulation(t *testing.T) {
	for pkg, deps := range emulationDeps(t, production...) {
		t.Errorf("%s imports the emulation: %s", pkg, strings.Join(deps, ", "))
	}
}

// TestEmulationDepsFindsAnImport shows the check above can fail: the local
// cloud's own command imports the emulation, and is found to.
func TestEmulationDepsFindsAnImport(t *testing.T) {
	got := emulationDeps(t, "./cmd/hush-local")
	deps := got[modulePath+"/cmd/hush-local"]
	if !slices.Contains(deps, modulePath+"/localcloud") || !slices.Contains(deps, modulePath+"/internal/child") {
		t.Errorf("emulation imports of cmd/hush-local = %v, want localcloud and internal/child among them", deps)
	}
}
