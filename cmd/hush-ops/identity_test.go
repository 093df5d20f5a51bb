package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestParseIdentityOutputs reads the user pool's outputs of both shapes
// and refuses what does not agree with the stack's regions.
func TestParseIdentityOutputs(t *testing.T) {
	replace := func(old, repl string) string {
		if !strings.Contains(prodOutputs, old) {
			t.Fatalf("prodOutputs lacks %q", old)
		}
		return strings.Replace(prodOutputs, old, repl, 1)
	}
	localWithCognito := strings.Replace(localOutputs, `"replicaEndpoints"`,
		`"userPoolId": "local_pool", "identityReplicaRegion": "eu-west-1",
		 "cognitoEndpoints": {"eu-central-1": "http://127.0.0.1:9229", "eu-west-1": "http://127.0.0.1:9230"}, "replicaEndpoints"`, 1)
	tests := []struct {
		name                         string
		file                         string
		wantPool, wantHome, wantRepl string
		wantCognito                  map[string]string
		wantErr                      string // empty: no error
	}{
		{name: "prod", file: prodOutputs, wantPool: "eu-central-1_abc", wantHome: "eu-central-1", wantRepl: "eu-west-1", wantCognito: map[string]string{}},
		{name: "no replica (dev)", file: replace(`"identityReplicaRegion": "eu-west-1",`, ``), wantPool: "eu-central-1_abc", wantHome: "eu-central-1", wantCognito: map[string]string{}},
		{name: "local", file: localWithCognito, wantPool: "local_pool", wantRepl: "eu-west-1",
			wantCognito: map[string]string{"eu-central-1": "http://127.0.0.1:9229", "eu-west-1": "http://127.0.0.1:9230"}},
		{name: "replica region outside the stack", file: replace(`"identityReplicaRegion": "eu-west-1"`, `"identityReplicaRegion": "ap-south-1"`),
			wantErr: `"identityReplicaRegion" is "ap-south-1", not one of the stack's regions eu-central-1, eu-west-1, us-east-1`},
		{name: "replica region the home region", file: replace(`"identityReplicaRegion": "eu-west-1"`, `"identityReplicaRegion": "eu-central-1"`),
			wantErr: "the home region, which holds the primary"},
		{name: "replica region misspelt as a name", file: replace(`"identityReplicaRegion"`, `"identityReplicaRegoin"`),
			wantErr: `did you mean "identityReplicaRegion"?`},
		{name: "replica region a list", file: replace(`"identityReplicaRegion": "eu-west-1"`, `"identityReplicaRegion": ["eu-west-1"]`),
			wantErr: `"identityReplicaRegion" is a list, want a string`},
		{name: "home region disagrees with regions", file: replace(`"homeRegion": "eu-central-1"`, `"homeRegion": "us-east-1"`),
			wantErr: `"homeRegion" is "us-east-1" but "regions" lists "eu-central-1" first`},
		{name: "pool a secret", file: replace(`"userPoolId": "eu-central-1_abc"`, `"userPoolId": "[secret]"`), wantErr: `"userPoolId" is "[secret]"`},
		{name: "pool a number", file: replace(`"userPoolId": "eu-central-1_abc"`, `"userPoolId": 7`), wantErr: `"userPoolId" is a number, want a string`},
		{name: "Cognito endpoint of another region", file: strings.Replace(localWithCognito, `"eu-west-1": "http://127.0.0.1:9230"`, `"eu-west-2": "http://127.0.0.1:9230"`, 1),
			wantErr: `"cognitoEndpoints": endpoint of "eu-west-2"`},
		{name: "Cognito endpoint no URL", file: strings.Replace(localWithCognito, `"http://127.0.0.1:9230"`, `"127.0.0.1:9230"`, 1),
			wantErr: `"cognitoEndpoints": endpoint of eu-west-1: "127.0.0.1:9230" is not an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOutputs([]byte(tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseOutputs: err %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseOutputs: %v", err)
			}
			if got.userPool != tt.wantPool || got.homeRegion != tt.wantHome || got.replicaRegion != tt.wantRepl || !maps.Equal(got.cognito, tt.wantCognito) {
				t.Errorf("got pool %q, home %q, replica %q, Cognito %v; want %q, %q, %q, %v",
					got.userPool, got.homeRegion, got.replicaRegion, got.cognito, tt.wantPool, tt.wantHome, tt.wantRepl, tt.wantCognito)
			}
		})
	}
}

// TestResolveIdentity takes the home region from the regions where the
// outputs lack it, and wants the secret for a local stack's Cognito
// endpoints.
func TestResolveIdentity(t *testing.T) {
	local := `{"tableName": "hush-prod", "regions": ["eu-central-1", "eu-west-1"], "userPoolId": "p", "identityReplicaRegion": "eu-west-1",
	  "cognitoEndpoints": {"eu-central-1": "http://127.0.0.1:9229", "eu-west-1": "http://127.0.0.1:9230"}}`
	files := map[string]string{"local.json": local, "secret": "s3cret\n"}
	got, err := parseTarget([]string{"-outputs", "local.json", "-secret-file", "secret"}, fakeEnv(files, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got.HomeRegion != "eu-central-1" || got.ReplicaRegion != "eu-west-1" || got.UserPool != "p" || got.Secret != "s3cret" || got.CognitoEndpoints["eu-west-1"] != "http://127.0.0.1:9230" {
		t.Errorf("target = %+v, want home eu-central-1, replica eu-west-1, pool p, the secret and the Cognito endpoints", got)
	}
	_, err = parseTarget([]string{"-outputs", "local.json"}, fakeEnv(files, nil))
	if err == nil || !strings.Contains(err.Error(), "-secret-file") {
		t.Errorf("a local stack's Cognito endpoints without its secret: err %v, want one naming -secret-file", err)
	}
}

// pool is a user pool with a secondary replica in eu-west-1, as Cognito's
// API answers in each region, for the command's tests.
type pool struct {
	mu     sync.Mutex
	status types.ReplicaStatusType
	// down are the regions whose endpoint does not answer.
	down map[string]bool
	// lag is how many reads after an update still report the old status.
	lag     int
	old     types.ReplicaStatusType
	updates []string
	// failUpdate makes UpdateUserPoolReplica refuse.
	failUpdate error
}

var errRefused = errors.New("dial tcp 127.0.0.1:1: connect: connection refused")

func newPool() *pool {
	return &pool{status: types.ReplicaStatusTypeInactive, down: map[string]bool{}}
}

// at is the pool's API as region's endpoint answers it.
type at struct {
	p      *pool
	region string
}

func (a at) ListUserPoolReplicas(_ context.Context, in *cip.ListUserPoolReplicasInput, _ ...func(*cip.Options)) (*cip.ListUserPoolReplicasOutput, error) {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	if a.p.down[a.region] {
		return nil, errRefused
	}
	if aws.ToString(in.UserPoolId) != "eu-central-1_abc" {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such pool")}
	}
	// Two pages, as a caller must follow NextToken; the secondary is on
	// the second.
	if in.NextToken == nil {
		return &cip.ListUserPoolReplicasOutput{NextToken: aws.String("2"), UserPoolReplicas: []types.UserPoolReplicaType{
			{RegionName: aws.String("eu-central-1"), Role: types.ReplicaRoleTypePrimary, Status: types.ReplicaStatusTypeActive, UserPoolArn: aws.String("arn:aws:cognito-idp:eu-central-1:1:userpool/eu-central-1_abc")},
		}}, nil
	}
	status := a.p.status
	if a.p.lag > 0 {
		a.p.lag--
		status = a.p.old
	}
	return &cip.ListUserPoolReplicasOutput{UserPoolReplicas: []types.UserPoolReplicaType{
		{RegionName: aws.String("eu-west-1"), Role: types.ReplicaRoleTypeSecondary, Status: status, UserPoolArn: aws.String("arn:aws:cognito-idp:eu-west-1:1:userpool/eu-central-1_abc")},
	}}, nil
}

func (a at) UpdateUserPoolReplica(_ context.Context, in *cip.UpdateUserPoolReplicaInput, _ ...func(*cip.Options)) (*cip.UpdateUserPoolReplicaOutput, error) {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	if a.p.down[a.region] {
		return nil, errRefused
	}
	if a.p.failUpdate != nil {
		return nil, a.p.failUpdate
	}
	a.p.updates = append(a.p.updates, a.region+":"+aws.ToString(in.UserPoolId)+":"+aws.ToString(in.RegionName)+":"+string(in.Status))
	a.p.old, a.p.status = a.p.status, types.ReplicaStatusType(in.Status)
	return &cip.UpdateUserPoolReplicaOutput{UserPoolReplica: &types.UserPoolReplicaType{RegionName: in.RegionName, Role: types.ReplicaRoleTypeSecondary, Status: a.p.status}}, nil
}

// runIdentity runs the command on p with prod's outputs in prod.json, on
// a clock that moves only when the command waits.
func runIdentity(t *testing.T, p *pool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	var mu sync.Mutex
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	c := &cli{
		stdout: &out, stderr: &errOut, flags: newTargetFlags(),
		env: fakeEnv(map[string]string{"prod.json": prodOutputs, "dev.json": strings.Replace(prodOutputs, `"identityReplicaRegion": "eu-west-1",`, "", 1)}, nil),
		cognito: func(_ context.Context, _ target, region string) (replicaAPI, error) {
			return at{p: p, region: region}, nil
		},
		now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(d)
			return ctx.Err()
		},
	}
	code = c.run(t.Context(), args)
	t.Logf("hush-ops %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

func TestIdentityUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no verb", []string{"-outputs", "prod.json", "identity"}, "identity wants one of status, activate, deactivate; got nothing"},
		{"unknown verb", []string{"-outputs", "prod.json", "identity", "failover"}, `got "failover"`},
		{"stray argument", []string{"-outputs", "prod.json", "identity", "activate", "eu-west-1"}, `unexpected arguments ["eu-west-1"]`},
		{"-wait on status", []string{"-outputs", "prod.json", "identity", "status", "-wait", "1s"}, "flag provided but not defined: -wait"},
		{"-wait misspelt", []string{"-outputs", "prod.json", "identity", "activate", "-wiat", "1s"}, "did you mean -wait?"},
		{"-wait zero", []string{"-outputs", "prod.json", "identity", "activate", "-wait", "0s"}, "-wait must be positive"},
		{"no replica", []string{"-outputs", "dev.json", "identity", "activate"}, "the stack has no user pool replica"},
		{"no pool", []string{"-table", "hush-prod", "-regions", "eu-central-1,eu-west-1", "identity", "status"}, `the outputs name no user pool ("userPoolId")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool()
			code, _, stderr := runIdentity(t, p, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", stderr, tt.want)
			}
			if len(p.updates) > 0 {
				t.Errorf("updates %v, want none", p.updates)
			}
		})
	}
}

// TestIdentityActivate runs status, activate, status and deactivate with
// the home region lost: every call goes to the secondary's region.
func TestIdentityActivate(t *testing.T) {
	p := newPool()
	p.down["eu-central-1"] = true
	code, out, _ := runIdentity(t, p, "-outputs", "prod.json", "identity", "status")
	if code != exitOK || !hasRow(strings.Split(out, "\n"), "eu-west-1", []string{"SECONDARY", "INACTIVE"}) || !strings.Contains(out, "identity activate") {
		t.Errorf("status: exit %d, want 0, the secondary INACTIVE and the command that activates it", code)
	}
	if !hasRow(strings.Split(out, "\n"), "eu-central-1", []string{"PRIMARY", "ACTIVE"}) {
		t.Errorf("status: no row of the primary (the second page of the list is read too)")
	}

	p.lag = 2 // the secondary reports ACTIVE at the third read
	code, out, _ = runIdentity(t, p, "-outputs", "prod.json", "identity", "activate")
	if code != exitOK {
		t.Errorf("activate: exit %d, want 0", code)
	}
	if want := []string{"eu-west-1:eu-central-1_abc:eu-west-1:ACTIVE"}; !equalStrings(p.updates, want) {
		t.Errorf("updates %v, want %v (in the secondary's region)", p.updates, want)
	}
	for _, want := range []string{"  update: UpdateUserPoolReplica ACTIVE in eu-west-1 answered ACTIVE (", "  confirm: ListUserPoolReplicas in eu-west-1: the secondary is ACTIVE (2s)", "done in 2s"} {
		if !strings.Contains(out, want) {
			t.Errorf("activate: output lacks %q", want)
		}
	}
	code, out, _ = runIdentity(t, p, "-outputs", "prod.json", "identity", "status")
	if code != exitOK || !hasRow(strings.Split(out, "\n"), "eu-west-1", []string{"SECONDARY", "ACTIVE"}) || !strings.Contains(out, "it serves sign-in") {
		t.Errorf("status after activate: exit %d, want 0 and the secondary ACTIVE", code)
	}

	if code, _, _ = runIdentity(t, p, "-outputs", "prod.json", "identity", "deactivate"); code != exitOK || p.status != types.ReplicaStatusTypeInactive {
		t.Errorf("deactivate: exit %d, secondary %s; want 0 and INACTIVE", code, p.status)
	}
}

// TestIdentityFailures says what each failure left and what continues.
func TestIdentityFailures(t *testing.T) {
	t.Run("secondary's region down: status from the home region", func(t *testing.T) {
		p := newPool()
		p.down["eu-west-1"] = true
		code, out, _ := runIdentity(t, p, "-outputs", "prod.json", "identity", "status")
		if code != exitUnreachable || !strings.Contains(out, "eu-west-1 did not answer") || !hasRow(strings.Split(out, "\n"), "eu-west-1", []string{"SECONDARY", "INACTIVE"}) {
			t.Errorf("exit %d, want %d, eu-west-1 unanswering and the list as the home region gives it", code, exitUnreachable)
		}
	})
	t.Run("both regions down", func(t *testing.T) {
		p := newPool()
		p.down["eu-west-1"], p.down["eu-central-1"] = true, true
		code, _, stderr := runIdentity(t, p, "-outputs", "prod.json", "identity", "status")
		if code != exitUnreachable || !strings.Contains(stderr, "neither region answered") {
			t.Errorf("exit %d, stderr %q; want %d and neither region answered", code, stderr, exitUnreachable)
		}
	})
	t.Run("update refused", func(t *testing.T) {
		p := newPool()
		p.failUpdate = &types.NotAuthorizedException{Message: aws.String("not allowed: cognito-idp:UpdateUserPoolReplica")}
		code, _, stderr := runIdentity(t, p, "-outputs", "prod.json", "identity", "activate")
		for _, want := range []string{`failed at step "update"`, "UpdateUserPoolReplica", "The user pool is left: as it was", "To continue:\n  hush-ops -outputs prod.json identity activate\n"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q", want)
			}
		}
		if code != exitFailed || p.status != types.ReplicaStatusTypeInactive {
			t.Errorf("exit %d, secondary %s; want %d and INACTIVE", code, p.status, exitFailed)
		}
	})
	t.Run("never confirmed", func(t *testing.T) {
		p := newPool()
		p.lag = 1000
		code, _, stderr := runIdentity(t, p, "-outputs", "prod.json", "identity", "activate", "-wait", "5s")
		for _, want := range []string{`failed at step "confirm"`, "reported INACTIVE within 5s", "To continue:\n  hush-ops -outputs prod.json identity activate\n"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q", want)
			}
		}
		if code != exitFailed {
			t.Errorf("exit %d, want %d", code, exitFailed)
		}
	})
}

func equalStrings(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// TestDialCognito builds a client for AWS and for a local stack's
// endpoint without calling either.
func TestDialCognito(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, tg := range []target{
		{UserPool: "p", ReplicaRegion: "eu-west-1"},
		{UserPool: "p", ReplicaRegion: "eu-west-1", Secret: "s", CognitoEndpoints: map[string]string{"eu-west-1": "http://127.0.0.1:1"}},
	} {
		c, err := dialCognito(t.Context(), tg, "eu-west-1")
		if err != nil || c == nil {
			t.Errorf("dialCognito(%+v) = %v, %v; want a client", tg, c, err)
			continue
		}
		if got := c.(*cip.Client).Options().Region; got != "eu-west-1" {
			t.Errorf("dialCognito(%+v): region %q, want eu-west-1 (the replica's)", tg, got)
		}
	}
}
