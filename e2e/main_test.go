// Package e2e is a black-box test of a running Hush: it signs users up and in
// through Cognito and calls API v1 over HTTP, exactly as a client would. It
// knows nothing of the handlers' code.
//
// The target is, in order of preference:
//
//   - a deployed stack named by the seed's variables HUSH_APIGW_URL,
//     HUSH_AWS_REGION, HUSH_USER_POOL_ID and HUSH_USER_POOL_CLIENT_ID, with
//     optional HUSH_APIGW_URLS (a JSON object of region to stage URL) to
//     test every region and HUSH_COGNITO_ENDPOINT to reach a Cognito
//     emulator instead of AWS; HUSH_IDENTITY_REPLICA_REGION names the user
//     pool's replica, where the suite signs in when the home region's
//     Cognito does not answer (HUSH_IDENTITY_REPLICA_ENDPOINT for an
//     emulator);
//   - a deployed stack described by HUSH_STACK_OUTPUTS, the file written by
//     `pulumi stack output --json > outputs.json`;
//   - otherwise a local stack, started here with every region of the prod
//     stack on free ports and a temporary data directory.
//
// Against AWS, the Cognito admin calls (AdminConfirmSignUp, AdminCreateUser,
// AdminDeleteUser) use the default AWS credentials, which need those rights
// on the pool, and DescribeUserPool unless HUSH_SELF_SIGN_UP or the stack
// output selfSignUp says whether the pool allows sign-up (learnSelfSignUp).
// Every name the suite creates carries a per-run ID, and the suite deletes
// its users and matches when it ends.
package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/datalock"
)

// target is the stack under test.
type target struct {
	// URLs maps every region to its stage URL (API v1 is under URL/v1).
	URLs map[string]string
	// Home is the home region, which holds the user pool.
	Home     string
	PoolID   string
	ClientID string
	// CognitoEndpoint overrides the Cognito endpoint (cognito-local).
	CognitoEndpoint string
	// Source says where the target came from, for messages.
	Source string
	// DynamoDBEndpoint and Table are set only for a local stack the suite
	// started: tests that prove what the table does not hold read it
	// directly, by key.
	DynamoDBEndpoint string
	Table            string
	// Secret signs requests to the local emulators: the suite's own
	// stack's, or read from the data dir HUSH_LOCAL_DATA_DIR names.
	Secret string
	// SelfSignUp is the stack's hush:selfSignUp: whether the public SignUp
	// is open (see selfSignUp). Where it is not, the sign-up flow checks
	// the refusal; every other test user is admin-created either way.
	SelfSignUp bool
	// signUpKnown says where SelfSignUp came from; empty until known.
	signUpKnown string
	// IdentityReplicaRegion is the user pool's secondary replica, where
	// the suite signs in when the home region's Cognito does not answer;
	// IdentityReplicaEndpoint overrides its endpoint (cognito-local).
	IdentityReplicaRegion   string
	IdentityReplicaEndpoint string
}

// regions returns the regions in a stable order, home first.
func (t target) regions() []string {
	rs := slices.Sorted(maps.Keys(t.URLs))
	rs = slices.DeleteFunc(rs, func(r string) bool { return r == t.Home })
	return append([]string{t.Home}, rs...)
}

var (
	tgt     target
	cognito *cip.Client
	// runID makes every user, tournament and match of this run unique, so
	// runs against a shared deployed stack never collide.
	runID string
)

func TestMain(m *testing.M) {
	// Every test here calls a running stack; make unit (-short) starts none.
	if testtier.SkipPackage(os.Stderr, "e2e", testtier.LocalCloud) {
		os.Exit(0)
	}
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx := context.Background()
	runID = randomID()
	var err error
	tgt, localStack, err = chooseTarget(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	for region, u := range tgt.URLs {
		tgt.URLs[region] = strings.TrimRight(u, "/")
	}
	if localStack != nil {
		defer func() {
			if err := localStack.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "e2e: stop the local stack:", err)
			}
		}()
	}
	cognito, err = newCognitoClient(ctx, tgt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if identityPool, err = newIdentityPool(ctx, tgt, cognito); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	signUpFrom, err := learnSelfSignUp(ctx, &tgt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: run %s against %s: regions %v; self sign-up %s (%s)\n",
		runID, tgt.Source, tgt.regions(), onOff(tgt.SelfSignUp), signUpFrom)
	began := time.Now()
	code := m.Run()
	fmt.Fprintf(os.Stderr, "e2e: tests took %s\n", time.Since(began).Round(time.Second))
	fmt.Fprintf(os.Stderr, "e2e: %d answers were 429 (API Gateway's throttling, or a write that lost to contention) and retried after a backoff; %d requests still got 429 after %d attempts\n",
		throttled.retries.Load(), throttled.gaveUp.Load(), maxAttempts)
	fmt.Fprintf(os.Stderr, "e2e: Cognito sent %d messages for this run (one per SignUp; every other user was made with AdminCreateUser, MessageAction SUPPRESS)\n",
		cognitoMessages.Load())
	if skipped := localOnlySkips.list(); len(skipped) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: %d local-only tests skipped against %s: %s\n", len(skipped), tgt.Source, strings.Join(skipped, ", "))
	}
	if err := cleanup(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cleanup:", err)
		if code == 0 {
			code = 1
		}
	}
	if localStack != nil {
		if err := localStack.Err(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: the local stack failed during the run:", err)
			code = 1
		}
	}
	return code
}

// chooseTarget picks the stack under test; see the package comment.
func chooseTarget(ctx context.Context) (target, *localcloud.Stack, error) {
	if url := os.Getenv("HUSH_APIGW_URL"); url != "" {
		t := target{
			URLs:            map[string]string{},
			Home:            os.Getenv("HUSH_AWS_REGION"),
			PoolID:          os.Getenv("HUSH_USER_POOL_ID"),
			ClientID:        os.Getenv("HUSH_USER_POOL_CLIENT_ID"),
			CognitoEndpoint: os.Getenv("HUSH_COGNITO_ENDPOINT"),
			Source:          "HUSH_APIGW_URL " + url,
			// The user pool's replica (hush:identityReplicaRegion), if any.
			IdentityReplicaRegion:   os.Getenv("HUSH_IDENTITY_REPLICA_REGION"),
			IdentityReplicaEndpoint: os.Getenv("HUSH_IDENTITY_REPLICA_ENDPOINT"),
		}
		if t.Home == "" || t.PoolID == "" || t.ClientID == "" {
			return target{}, nil, errors.New("HUSH_APIGW_URL is set, so HUSH_AWS_REGION, HUSH_USER_POOL_ID and HUSH_USER_POOL_CLIENT_ID must be set too")
		}
		if raw := os.Getenv("HUSH_APIGW_URLS"); raw != "" {
			if err := json.Unmarshal([]byte(raw), &t.URLs); err != nil {
				return target{}, nil, fmt.Errorf("HUSH_APIGW_URLS must be a JSON object of region to URL: %w", err)
			}
		}
		t.URLs[t.Home] = url
		return t, nil, nil
	}
	if path := os.Getenv("HUSH_STACK_OUTPUTS"); path != "" {
		t, err := readOutputs(path)
		return t, nil, err
	}
	return startLocal(ctx)
}

// outputs are the stack outputs the Pulumi program exports.
type outputs struct {
	APIURLs          map[string]string `json:"apiUrls"`
	APIURL           string            `json:"apiUrl"`
	UserPoolID       string            `json:"userPoolId"`
	UserPoolClientID string            `json:"userPoolClientId"`
	HomeRegion       string            `json:"homeRegion"`
	// SelfSignUp is the stack's hush:selfSignUp; nil in the outputs of a
	// stack deployed before the output existed.
	SelfSignUp *bool `json:"selfSignUp"`
	// IdentityReplicaRegion is the user pool's replica region; empty for a
	// stack without one.
	IdentityReplicaRegion string `json:"identityReplicaRegion"`
}

func readOutputs(path string) (target, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return target{}, fmt.Errorf("HUSH_STACK_OUTPUTS: %w", err)
	}
	var o outputs
	if err := json.Unmarshal(b, &o); err != nil {
		return target{}, fmt.Errorf("HUSH_STACK_OUTPUTS %s is not `pulumi stack output --json`: %w", path, err)
	}
	t := target{
		URLs: map[string]string{}, Home: o.HomeRegion, PoolID: o.UserPoolID, ClientID: o.UserPoolClientID,
		CognitoEndpoint: os.Getenv("HUSH_COGNITO_ENDPOINT"), Source: "stack outputs " + path,
		IdentityReplicaRegion: o.IdentityReplicaRegion, IdentityReplicaEndpoint: os.Getenv("HUSH_IDENTITY_REPLICA_ENDPOINT"),
	}
	maps.Copy(t.URLs, o.APIURLs)
	if o.SelfSignUp != nil {
		t.SelfSignUp, t.signUpKnown = *o.SelfSignUp, "stack output selfSignUp"
	}
	if o.APIURL != "" && t.Home != "" {
		if _, ok := t.URLs[t.Home]; !ok {
			t.URLs[t.Home] = o.APIURL
		}
	}
	if t.Home == "" || t.PoolID == "" || t.ClientID == "" || t.URLs[t.Home] == "" {
		return target{}, fmt.Errorf("HUSH_STACK_OUTPUTS %s lacks homeRegion, userPoolId, userPoolClientId or the home region's URL in apiUrls/apiUrl", path)
	}
	return t, nil
}

func newCognitoClient(ctx context.Context, t target) (*cip.Client, error) {
	if t.CognitoEndpoint != "" {
		// An emulator takes any credentials; real ones from the
		// environment are used when present.
		var opts []func(*config.LoadOptions) error
		opts = append(opts, config.WithRegion(t.Home))
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" {
			secret, err := t.emulatorSecret()
			if err != nil {
				return nil, err
			}
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", secret, "")))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("aws config: %w", err)
		}
		return cip.NewFromConfig(cfg, func(o *cip.Options) { o.BaseEndpoint = aws.String(t.CognitoEndpoint) }), nil
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(t.Home))
	if err != nil {
		return nil, fmt.Errorf("aws config (the suite needs credentials allowed to administer the user pool): %w", err)
	}
	return cip.NewFromConfig(cfg), nil
}

func randomID() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// emulatorSecret returns the secret the local emulators' guards check: the
// suite's own stack's, or that of the data dir of a stack started apart.
func (t target) emulatorSecret() (string, error) {
	if t.Secret != "" {
		return t.Secret, nil
	}
	return datalock.SecretFromEnv(os.Getenv)
}
