package localcloud_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"

	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/localcloud"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/stackconfig"
)

// replicaRegion is prod's second region, where its identity replica sits.
const replicaRegion = "eu-west-1"

// TestIdentityReplica runs a prod stack with the user pool's replica with
// each issuer and each authorizer: the new secondary refuses sign-in until
// activated; a user created and confirmed at the primary then signs in
// at the replica after the delay, with the same sub; sign-up and
// AdminCreateUser at the replica get OperationNotEnabledException; the
// replica's token passes every region's gateway on protected routes while
// the home region's Cognito is dark (a Cognito outage alone: the rest of
// the home region, the write region, still serves).
func TestIdentityReplica(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	for _, tt := range []struct {
		issuer     stackconfig.IssuerType
		authorizer stackconfig.AuthorizerMode
	}{
		{stackconfig.IssuerOriginal, stackconfig.AuthorizerCognito},
		{stackconfig.IssuerMultiRegion, stackconfig.AuthorizerCognito},
		{stackconfig.IssuerOriginal, stackconfig.AuthorizerLambda},
		{stackconfig.IssuerMultiRegion, stackconfig.AuthorizerLambda},
	} {
		t.Run(string(tt.issuer)+" issuer, "+string(tt.authorizer)+" authorizer", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			s, err := localcloud.StartTemp(ctx, localcloud.Options{
				Stack: "prod", IdentityReplicaRegion: replicaRegion, IdentityIssuer: tt.issuer, Authorizer: tt.authorizer,
				IdentityReplicaDelay: 500 * time.Millisecond,
			})
			if err != nil {
				t.Fatalf("StartTemp: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			info := s.Info()
			if info.IdentityReplicaRegion != replicaRegion || info.IdentityReplicaEndpoint == "" || info.IdentityIssuer != tt.issuer || info.Authorizer != tt.authorizer {
				t.Fatalf("Info: replica %q at %q, %s issuer, %s authorizer; want %s, an endpoint, %s, %s", info.IdentityReplicaRegion, info.IdentityReplicaEndpoint, info.IdentityIssuer, info.Authorizer, replicaRegion, tt.issuer, tt.authorizer)
			}
			replica := cognitolocal.NewClient(info.IdentityReplicaEndpoint, replicaRegion)

			// A new secondary is INACTIVE: no sign-in, even of a user it has.
			if got := s.IdentityReplicaStatus(); got != cognitolocal.StatusInactive {
				t.Errorf("status at start = %q, want %s", got, cognitolocal.StatusInactive)
			}
			_, err = passwordAuth(ctx, replica, info, "demo", cognitolocal.DemoUsers[0].Password)
			assertNotEnabled(t, "sign-in at an inactive replica", err)

			if err := s.ActivateIdentityReplica(ctx); err != nil {
				t.Fatalf("ActivateIdentityReplica: %v", err)
			}
			if got := s.IdentityReplicaStatus(); got != cognitolocal.StatusActive {
				t.Errorf("status after activation = %q, want %s", got, cognitolocal.StatusActive)
			}
			if _, err := passwordAuth(ctx, replica, info, "demo", cognitolocal.DemoUsers[0].Password); err != nil {
				t.Errorf("sign-in at the activated replica: %v", err)
			}

			created := time.Now()
			primaryToken := newUser(t, info, "alice")
			replicaToken := eventuallySignIn(t, replica, info, "alice", password)
			t.Logf("alice signed in at the replica %s after her creation at the primary (delay %s)", time.Since(created).Round(10*time.Millisecond), 500*time.Millisecond)
			p, r := claimsOf(t, primaryToken), claimsOf(t, replicaToken)
			if p["sub"] != r["sub"] {
				t.Errorf("sub at the replica = %v, at the primary %v: the directory must carry it", r["sub"], p["sub"])
			}
			if sameIssuer := p["iss"] == r["iss"]; sameIssuer != (tt.issuer == stackconfig.IssuerMultiRegion) {
				t.Errorf("issuers: primary %v, replica %v; want them equal only with the multi-Region issuer", p["iss"], r["iss"])
			}

			_, err = replica.SignUp(ctx, &cip.SignUpInput{
				ClientId: aws.String(info.UserPoolClientID), Username: aws.String("bob"), Password: aws.String(password),
				UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("bob@example.com")}},
			})
			assertNotEnabled(t, "SignUp at the replica", err)
			admin := cognitolocal.NewSignedClient(info.IdentityReplicaEndpoint, replicaRegion, info.Secret)
			_, err = admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
				UserPoolId: aws.String(info.UserPoolID), Username: aws.String("carol"), MessageAction: types.MessageActionTypeSuppress,
			})
			assertNotEnabled(t, "AdminCreateUser at the replica", err)
			_, err = replica.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(info.UserPoolClientID), Username: aws.String("alice")})
			assertNotEnabled(t, "ForgotPassword at the replica", err)

			if err := s.SetCognitoDark(info.HomeRegion, true); err != nil {
				t.Fatalf("SetCognitoDark: %v", err)
			}
			replicaToken = signInAt(t, replica, info, "alice", password)
			for i, reg := range info.Regions {
				body := get(t, reg.URL+"/v1/helloauthenticated", 200, replicaToken)
				if !strings.Contains(body, "alice") {
					t.Errorf("helloauthenticated in %s = %q, want it to greet alice", reg.Name, body)
				}
				put(t, reg.URL, replicaToken, `{"tournament_id":"mrr","match_id":"m`+string(rune('0'+i))+`","player1":"A","player2":"B","score":"5,4,9"}`)
			}
		})
	}
}

// TestIdentityReplicaRegionChecked: the replica region must be a region of
// the stack other than home.
func TestIdentityReplicaRegionChecked(t *testing.T) {
	for _, tt := range []struct {
		name, region string
		issuer       stackconfig.IssuerType
		authorizer   stackconfig.AuthorizerMode
		want         string
	}{
		{"home region", "eu-central-1", "", "", "home region"},
		{"outside the stack", "ap-south-1", "", "", "not one of the regions"},
		{"unknown issuer", replicaRegion, "regional", "", `identity issuer "regional"`},
		{"unknown authorizer", replicaRegion, "", "iam", `authorizer "iam"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := localcloud.StartTemp(t.Context(), localcloud.Options{Stack: "prod", IdentityReplicaRegion: tt.region, IdentityIssuer: tt.issuer, Authorizer: tt.authorizer})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("StartTemp error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func passwordAuth(ctx context.Context, c *cip.Client, info localcloud.Info, name, pw string) (string, error) {
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: aws.String(info.UserPoolClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": pw},
	})
	if err != nil {
		return "", err
	}
	if out.AuthenticationResult == nil {
		return "", errors.New("unexpected challenge " + string(out.ChallengeName))
	}
	return aws.ToString(out.AuthenticationResult.IdToken), nil
}

func signInAt(t *testing.T, c *cip.Client, info localcloud.Info, name, pw string) string {
	t.Helper()
	tok, err := passwordAuth(t.Context(), c, info, name, pw)
	if err != nil {
		t.Fatalf("sign in %s: %v", name, err)
	}
	return tok
}

// eventuallySignIn signs name in at c once the directory has reached it;
// the bound only guards against a hang.
func eventuallySignIn(t *testing.T, c *cip.Client, info localcloud.Info, name, pw string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		tok, err := passwordAuth(t.Context(), c, info, name, pw)
		if err == nil {
			return tok
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never signed in at the replica: %v", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func assertNotEnabled(t *testing.T, what string, err error) {
	t.Helper()
	var ne *types.OperationNotEnabledException
	if !errors.As(err, &ne) {
		t.Errorf("%s: error = %v, want OperationNotEnabledException", what, err)
	}
}

func claimsOf(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, c); err != nil {
		t.Fatalf("parse token: %v", err)
	}
	return c
}

// TestIdentityReplicaRestartsAfterACrash: the replica's process killed,
// the replica starts it again on what it served, and sign-in there works
// again; Close stops whatever process serves then.
func TestIdentityReplicaRestartsAfterACrash(t *testing.T) {
	testtier.Needs(t, testtier.LocalCloud)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := localcloud.StartTemp(ctx, localcloud.Options{Stack: "prod"}) // the file's replica: eu-west-1
	if err != nil {
		t.Fatalf("StartTemp: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	info := s.Info()
	if err := s.ActivateIdentityReplica(ctx); err != nil {
		t.Fatalf("ActivateIdentityReplica: %v", err)
	}
	pids := s.PIDs()
	if len(pids) != 3 {
		t.Fatalf("PIDs = %v, want DynamoDB Local, cognito-local and its replica", pids)
	}
	if err := syscall.Kill(-pids[2], syscall.SIGKILL); err != nil {
		t.Fatalf("kill the replica: %v", err)
	}
	replica := cognitolocal.NewClient(info.IdentityReplicaEndpoint, replicaRegion)
	eventuallySignIn(t, replica, info, "demo", cognitolocal.DemoUsers[0].Password)
	if got := s.PIDs()[2]; got == pids[2] {
		t.Errorf("the replica still reports the killed process %d", got)
	}
	after := s.PIDs()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	assertStopped(t, after, info)
	if c, err := net.DialTimeout("tcp", hostPort(info.IdentityReplicaEndpoint), time.Second); err == nil {
		c.Close()
		t.Errorf("the replica's endpoint %s still accepts connections after Close", info.IdentityReplicaEndpoint)
	}
}
