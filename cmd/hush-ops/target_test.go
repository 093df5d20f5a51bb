package main

import (
	"errors"
	"flag"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// prodOutputs is what `pulumi stack output --json` prints for prod, every
// output included, as hush-ops gets it.
const prodOutputs = `{
  "apiUrl": "https://abc.execute-api.eu-central-1.amazonaws.com/prod",
  "apiUrls": {"eu-central-1": "https://abc.execute-api.eu-central-1.amazonaws.com/prod", "eu-west-1": "https://def.execute-api.eu-west-1.amazonaws.com/prod", "us-east-1": "https://ghi.execute-api.us-east-1.amazonaws.com/prod"},
  "dashboardUrl": "https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/hush-prod",
  "domainUrl": "https://scores.example.org",
  "homeRegion": "eu-central-1",
  "identityIssuer": "original",
  "identityKeyArn": "arn:aws:kms:eu-central-1:123456789012:key/mrk-0123",
  "identityReplicaRegion": "eu-west-1",
  "regions": ["eu-central-1", "eu-west-1", "us-east-1"],
  "selfSignUp": false,
  "tableName": "hush-prod",
  "userPoolClientId": "client",
  "userPoolId": "eu-central-1_abc"
}`

// localOutputs is a local stack's stack-output.json.
const localOutputs = `{"tableName": "hush-prod", "regions": ["eu-central-1", "eu-west-1", "us-east-1"],
  "replicaEndpoints": {"eu-central-1": "http://127.0.0.1:7001", "eu-west-1": "http://127.0.0.1:7002", "us-east-1": "http://127.0.0.1:7003"}}`

var prodRegions = []string{"eu-central-1", "eu-west-1", "us-east-1"}

// fakeEnv is a machine with the given files and environment.
func fakeEnv(files, vars map[string]string) env {
	return env{
		getenv: func(k string) string { return vars[k] },
		readFile: func(name string) ([]byte, error) {
			if b, ok := files[name]; ok {
				return []byte(b), nil
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		},
		moduleRoot: func() (string, error) { return "/checkout", nil },
	}
}

// parseTarget parses args as hush-ops's flags and resolves them.
func parseTarget(args []string, e env) (target, error) {
	f := newTargetFlags()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return target{}, err
	}
	return f.resolve(e)
}

func TestResolve(t *testing.T) {
	localEndpoints := map[string]string{"eu-central-1": "http://127.0.0.1:7001", "eu-west-1": "http://127.0.0.1:7002", "us-east-1": "http://127.0.0.1:7003"}
	files := map[string]string{
		"prod.json":                             prodOutputs,
		"local.json":                            localOutputs,
		"secret":                                "s3cret\n",
		filepath.Join("/data", outputsFileName): localOutputs,
		filepath.Join("/data", secretFileName):  "data-secret\n",
		filepath.Join("/checkout", ".hush", "local", "prod", outputsFileName): localOutputs,
		filepath.Join("/checkout", ".hush", "local", "prod", secretFileName):  "checkout-secret",
		"empty-secret": " \n",
	}
	withDataDir := map[string]string{dataDirEnv: "/data"}
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want target
	}{
		{"pulumi outputs", []string{"-outputs", "prod.json"}, nil,
			target{Table: "hush-prod", Regions: prodRegions, Endpoints: map[string]string{}}},
		{"pulumi outputs ignore a local data dir", []string{"-outputs", "prod.json"}, withDataDir,
			target{Table: "hush-prod", Regions: prodRegions, Endpoints: map[string]string{}}},
		{"flags only", []string{"-table", "hush-stage", "-regions", "eu-central-1, eu-west-1"}, nil,
			target{Table: "hush-stage", Regions: []string{"eu-central-1", "eu-west-1"}, Endpoints: map[string]string{}}},
		{"flags override the outputs", []string{"-outputs", "prod.json", "-table", "hush-other", "-regions", "eu-west-1,us-east-1"}, nil,
			target{Table: "hush-other", Regions: []string{"eu-west-1", "us-east-1"}, Endpoints: map[string]string{}}},
		{"a custom endpoint of AWS signs with AWS credentials", []string{"-outputs", "prod.json", "-endpoint", "eu-west-1=https://vpce.example.com"}, nil,
			target{Table: "hush-prod", Regions: prodRegions, Endpoints: map[string]string{"eu-west-1": "https://vpce.example.com"}}},
		{"local outputs with a secret file", []string{"-outputs", "local.json", "-secret-file", "secret"}, nil,
			target{Table: "hush-prod", Regions: prodRegions, Endpoints: localEndpoints, Secret: "s3cret"}},
		{"local outputs, the secret from the data dir in the environment", []string{"-outputs", "local.json"}, withDataDir,
			target{Table: "hush-prod", Regions: prodRegions, Endpoints: localEndpoints, Secret: "data-secret"}},
		{"-local from the environment", []string{"-local"}, withDataDir,
			target{Table: "hush-prod", Regions: prodRegions, Endpoints: localEndpoints, Secret: "data-secret"}},
		{"-local -data-dir", []string{"-local", "-data-dir", "/data"}, nil,
			target{Table: "hush-prod", Regions: prodRegions, Endpoints: localEndpoints, Secret: "data-secret"}},
		{"-local -stack: the checkout's data dir of the stack", []string{"-local", "-stack", "prod"}, withDataDir,
			target{Table: "hush-prod", Regions: prodRegions, Endpoints: localEndpoints, Secret: "checkout-secret"}},
		{"-endpoint overrides one replica of a local stack", []string{"-local", "-endpoint", "eu-west-1=http://127.0.0.1:9999"}, withDataDir,
			target{Table: "hush-prod", Regions: prodRegions, Secret: "data-secret",
				Endpoints: map[string]string{"eu-central-1": "http://127.0.0.1:7001", "eu-west-1": "http://127.0.0.1:9999", "us-east-1": "http://127.0.0.1:7003"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTarget(tt.args, fakeEnv(files, tt.vars))
			if err != nil {
				t.Fatalf("resolve(%q) = %v, want %+v", tt.args, err, tt.want)
			}
			tt.want.CallTimeout, tt.want.DrainTimeout = defaultCallTimeout, defaultDrainTimeout
			if got.Table != tt.want.Table || !slices.Equal(got.Regions, tt.want.Regions) || got.Secret != tt.want.Secret ||
				!equalMaps(got.Endpoints, tt.want.Endpoints) || got.CallTimeout != tt.want.CallTimeout || got.DrainTimeout != tt.want.DrainTimeout {
				t.Errorf("resolve(%q) =\n %+v, want\n %+v", tt.args, got, tt.want)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestResolveRefuses holds every mistake in the flags or the outputs file
// to a usage error that names what is wrong.
func TestResolveRefuses(t *testing.T) {
	replace := func(old, repl string) string { return strings.Replace(prodOutputs, old, repl, 1) }
	files := map[string]string{
		"prod.json":                             prodOutputs,
		"local.json":                            localOutputs,
		"empty.json":                            "\n",
		"text.json":                             "tableName: hush-prod",
		"list.json":                             `["hush-prod"]`,
		"typo-table.json":                       replace(`"tableName"`, `"tablename"`),
		"typo-regions.json":                     replace(`"regions"`, `"regoins"`),
		"no-table.json":                         replace(`"tableName": "hush-prod",`, ``),
		"no-regions.json":                       replace(`"regions": ["eu-central-1", "eu-west-1", "us-east-1"],`, ``),
		"regions-string.json":                   replace(`["eu-central-1", "eu-west-1", "us-east-1"]`, `"eu-central-1"`),
		"table-number.json":                     replace(`"hush-prod"`, `7`),
		"table-secret.json":                     replace(`"hush-prod"`, `"[secret]"`),
		"region-typo.json":                      replace(`"eu-west-1", "us-east-1"]`, `"eu-west1", "us-east-1"]`),
		"region-twice.json":                     replace(`"eu-west-1", "us-east-1"]`, `"eu-west-1", "eu-west-1"]`),
		"regions-empty.json":                    replace(`["eu-central-1", "eu-west-1", "us-east-1"]`, `[]`),
		"endpoint-typo.json":                    strings.Replace(localOutputs, "replicaEndpoints", "replicaEndpoint", 1),
		"endpoint-region.json":                  strings.Replace(localOutputs, `"us-east-1": "http`, `"us-east-2": "http`, 1),
		"endpoint-url.json":                     strings.Replace(localOutputs, `"http://127.0.0.1:7003"`, `"127.0.0.1:7003"`, 1),
		"endpoints-list.json":                   `{"tableName": "hush-prod", "regions": ["eu-central-1"], "replicaEndpoints": ["http://127.0.0.1:1"]}`,
		"empty-secret":                          " \n",
		filepath.Join("/data", outputsFileName): localOutputs,
	}
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want []string // each in the error
	}{
		{"nothing names the stack", nil, nil, []string{"which stack?", "-outputs", "-local", "-table"}},
		{"missing file", []string{"-outputs", "nope.json"}, nil, []string{"read the outputs file", "nope.json"}},
		{"empty file", []string{"-outputs", "empty.json"}, nil, []string{"empty.json", "is empty", "pulumi stack output --json"}},
		{"not JSON", []string{"-outputs", "text.json"}, nil, []string{"text.json", "not the JSON object"}},
		{"a list, not an object", []string{"-outputs", "list.json"}, nil, []string{"not the JSON object"}},
		{"tableName typed wrong", []string{"-outputs", "typo-table.json"}, nil, []string{`"tablename" is no output hush-ops knows; did you mean "tableName"?`}},
		{"regions typed wrong", []string{"-outputs", "typo-regions.json"}, nil, []string{`"regoins"`, `did you mean "regions"?`}},
		{"replicaEndpoints typed wrong", []string{"-outputs", "endpoint-typo.json", "-secret-file", "x"}, nil, []string{`"replicaEndpoint"`, `did you mean "replicaEndpoints"?`}},
		{"no tableName", []string{"-outputs", "no-table.json"}, nil, []string{`no "tableName"`, "no-table.json"}},
		{"no regions", []string{"-outputs", "no-regions.json"}, nil, []string{`no "regions"`}},
		{"regions a string", []string{"-outputs", "regions-string.json"}, nil, []string{`"regions" is a string, want a list of region names`}},
		{"tableName a number", []string{"-outputs", "table-number.json"}, nil, []string{`"tableName" is a number, want a string`}},
		{"tableName a secret", []string{"-outputs", "table-secret.json"}, nil, []string{`"tableName" is "[secret]"`}},
		{"a region misspelt", []string{"-outputs", "region-typo.json"}, nil, []string{`"regions"`, `"eu-west1" is no region`, `did you mean "eu-west-1"?`}},
		{"a region twice", []string{"-outputs", "region-twice.json"}, nil, []string{`"eu-west-1" is listed twice`}},
		{"no region", []string{"-outputs", "regions-empty.json"}, nil, []string{`"regions": no region`}},
		{"an endpoint of another region", []string{"-outputs", "endpoint-region.json", "-secret-file", "x"}, nil, []string{`"replicaEndpoints"`, `endpoint of "us-east-2"`, `did you mean "us-east-1"?`}},
		{"an endpoint that is no URL", []string{"-outputs", "endpoint-url.json", "-secret-file", "x"}, nil, []string{`endpoint of us-east-1: "127.0.0.1:7003" is not an http(s) URL`}},
		{"endpoints a list", []string{"-outputs", "endpoints-list.json"}, nil, []string{`"replicaEndpoints" is a list, want an object`}},
		{"a local stack without its secret", []string{"-outputs", "local.json"}, nil, []string{"-secret-file", "local-secret", "signed with its data dir's secret"}},
		{"a secret file missing", []string{"-outputs", "local.json", "-secret-file", "nope"}, nil, []string{"read the local stack's secret", "nope"}},
		{"a secret file empty", []string{"-outputs", "local.json", "-secret-file", "empty-secret"}, nil, []string{"empty-secret", "is empty"}},
		{"-local and -outputs", []string{"-local", "-outputs", "prod.json"}, nil, []string{"give -local or -outputs, not both"}},
		{"-data-dir without -local", []string{"-outputs", "prod.json", "-data-dir", "/data"}, nil, []string{"-data-dir and -stack go with -local"}},
		{"-local on a stack that is not running", []string{"-local", "-data-dir", "/stopped"}, nil, []string{filepath.Join("/stopped", outputsFileName), "is hush-local running"}},
		{"-table without -regions", []string{"-table", "hush-dev"}, nil, []string{"no regions", "-regions"}},
		{"-regions without -table", []string{"-regions", "eu-central-1"}, nil, []string{"no table", "-table"}},
		{"-regions misspelt", []string{"-table", "hush-dev", "-regions", "eu-central-1,us-east1"}, nil, []string{"-regions", `"us-east1"`, `did you mean "us-east-1"?`}},
		{"a table name DynamoDB refuses", []string{"-table", "h", "-regions", "eu-central-1"}, nil, []string{`table "h"`}},
		{"-endpoint of a region the stack lacks", []string{"-outputs", "prod.json", "-endpoint", "eu-west-2=http://127.0.0.1:1"}, nil, []string{`endpoint of "eu-west-2"`, "not one of the stack's regions"}},
		{"-endpoint on the machine without a secret", []string{"-outputs", "prod.json", "-endpoint", "eu-west-1=http://localhost:8000"}, nil, []string{"-secret-file"}},
		{"-call-timeout zero", []string{"-outputs", "prod.json", "-call-timeout", "0s"}, nil, []string{"-call-timeout and -drain-timeout must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTarget(tt.args, fakeEnv(files, tt.vars))
			if err == nil {
				t.Fatalf("resolve(%q) = %+v, want an error with %q", tt.args, got, tt.want)
			}
			t.Log(err)
			if !errors.Is(err, errUsage) {
				t.Errorf("resolve(%q) = %v, not a usage error", tt.args, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("resolve(%q) = %q, want it to contain %q", tt.args, err, want)
				}
			}
		})
	}
}

// TestTargetFlagsArgs holds the flags a continuing command is given to
// the ones that named the stack.
func TestTargetFlagsArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"outputs", []string{"-outputs", "saved outputs/prod.json"}, "-outputs 'saved outputs/prod.json'"},
		{"local", []string{"-local", "-stack", "prod"}, "-local -stack prod"},
		{"flags", []string{"-table", "hush-prod", "-regions", "eu-central-1,eu-west-1", "-endpoint", "eu-west-1=http://127.0.0.1:1", "-endpoint", "eu-central-1=http://127.0.0.1:2", "-secret-file", "s", "-call-timeout", "5s"},
			"-table hush-prod -regions eu-central-1,eu-west-1 -endpoint eu-central-1=http://127.0.0.1:2 -endpoint eu-west-1=http://127.0.0.1:1 -secret-file s -call-timeout 5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTargetFlags()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			f.register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(quoteAll(f.args()), " "); got != tt.want {
				t.Errorf("args = %s, want %s", got, tt.want)
			}
		})
	}
	// A second registration, as the command's own flag set makes, keeps
	// what the first parsed.
	f := newTargetFlags()
	first := flag.NewFlagSet("first", flag.ContinueOnError)
	f.register(first)
	if err := first.Parse([]string{"-outputs", "a.json", "-call-timeout", "7s"}); err != nil {
		t.Fatal(err)
	}
	second := flag.NewFlagSet("second", flag.ContinueOnError)
	f.register(second)
	if err := second.Parse([]string{"-table", "hush-x"}); err != nil {
		t.Fatal(err)
	}
	if f.outputs != "a.json" || f.callTimeout != 7*time.Second || f.table != "hush-x" {
		t.Errorf("after two flag sets: outputs %q, call timeout %s, table %q; want a.json, 7s, hush-x", f.outputs, f.callTimeout, f.table)
	}
}

// TestDialReplicas builds a Control per region, for AWS and for a local
// stack's endpoints, without calling any.
func TestDialReplicas(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, tg := range []target{
		{Table: "hush-prod", Regions: prodRegions},
		{Table: "hush-prod", Regions: prodRegions, Secret: "s", Endpoints: map[string]string{"eu-central-1": "http://127.0.0.1:1", "eu-west-1": "http://127.0.0.1:2", "us-east-1": "http://127.0.0.1:3"}},
	} {
		got, err := dialReplicas(t.Context(), tg)
		if err != nil {
			t.Fatalf("dialReplicas(%+v): %v", tg, err)
		}
		if len(got) != len(prodRegions) {
			t.Errorf("dialReplicas(%+v) built %d controls, want %d", tg, len(got), len(prodRegions))
		}
		for _, r := range prodRegions {
			if c, ok := got[r]; !ok || c.Region() != r {
				t.Errorf("dialReplicas(%+v)[%s] = %v, want the control of %s", tg, r, c, r)
			}
		}
	}
}
