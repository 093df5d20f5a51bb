package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// password satisfies the pool's policy: 8+ characters, upper, lower, digit.
const password = "E2e-Passw0rd"

var httpClient = &http.Client{Timeout: 30 * time.Second}

// response is an HTTP answer read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// do sends one request to url; token, when not empty, is sent as the raw
// Authorization header, as the seed's client did. body is JSON-encoded
// unless it is a string.
func do(t *testing.T, method, url, token string, body any) response {
	t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case string:
		payload = []byte(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		payload = enc
	}
	a, err := sendRetrying(t.Context(), httpClient, newRequest(method, url, token, payload, body != nil))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return response{Status: a.Status, Header: a.Header, Body: a.Body}
}

// wantStatus fails the test unless r has status want.
func wantStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Errorf("%s: got %s, want status %d", what, r, want)
	}
}

// decode parses a JSON body into v.
func decode(t *testing.T, what string, r response, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s: body %q is not the expected JSON: %v", what, r.Body, err)
	}
}

// user is a confirmed user of the pool.
type user struct {
	Name        string
	IDToken     string
	AccessToken string
}

// The registry of what the suite created, deleted by cleanup.
var (
	mu             sync.Mutex
	createdUsers   []string
	createdMatches []createdMatch
	sharedUsers    struct {
		once       sync.Once
		alice, bob user
		err        error
	}
)

type createdMatch struct {
	url, token string
}

func rememberUser(name string) {
	mu.Lock()
	defer mu.Unlock()
	createdUsers = append(createdUsers, name)
}

// rememberMatch notes a match to delete at the end, with its owner's token.
func rememberMatch(url, token string) {
	mu.Lock()
	defer mu.Unlock()
	createdMatches = append(createdMatches, createdMatch{url, token})
}

// cleanup deletes every match and user the suite created. A match already
// gone is fine; anything else is an error, so leftovers never go unnoticed.
func cleanup(ctx context.Context) error {
	mu.Lock()
	defer mu.Unlock()
	var errs []error
	for _, m := range createdMatches {
		a, err := sendRetrying(ctx, httpClient, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodDelete, m.url, nil)
			if err == nil {
				req.Header.Set("Authorization", m.token)
			}
			return req, err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("delete %s: %w", m.url, err))
			continue
		}
		if a.Status != http.StatusNoContent && a.Status != http.StatusNotFound {
			errs = append(errs, fmt.Errorf("delete %s: status %d", m.url, a.Status))
		}
	}
	for _, name := range createdUsers {
		_, err := cognito.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(tgt.PoolID), Username: aws.String(name)})
		var gone *types.UserNotFoundException
		if err != nil && !errors.As(err, &gone) {
			errs = append(errs, fmt.Errorf("delete user %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// username returns a name unique to this run.
func username(role string) string { return "e2e-" + runID + "-" + role }

func email(name string) string { return name + "@example.com" }

// cognitoMessages counts the messages Cognito sent for this run: every
// successful SignUp mails a confirmation code (AdminConfirmSignUp comes too
// late to stop it), and Cognito's default sender allows only a few a day.
// So only the sign-up flow's own users sign up; every other test user is
// made by adminCreateUser, which sends nothing. TestMain reports the count.
var cognitoMessages atomic.Int64

// signUp registers name through the public SignUp call, which sends a
// confirmation message.
func signUp(ctx context.Context, name, pw string) error {
	_, _, err := identityPool.SignUp(ctx, cip.SignUpInput{
		Username: aws.String(name), Password: aws.String(pw),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email(name))}},
	})
	if err == nil {
		cognitoMessages.Add(1)
		rememberUser(name)
	}
	return err
}

// adminCreateUser makes name a confirmed user of poolID with password pw and
// a verified e-mail address, without any message: AdminCreateUser with
// MessageAction SUPPRESS, then AdminSetUserPassword as permanent.
func adminCreateUser(ctx context.Context, poolID, name, pw string) error {
	_, err := cognito.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(name),
		MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email(name))},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	})
	if err != nil {
		return fmt.Errorf("AdminCreateUser %s: %w", name, err)
	}
	if poolID == tgt.PoolID {
		rememberUser(name)
	}
	if _, err := cognito.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID), Username: aws.String(name), Password: aws.String(pw), Permanent: true,
	}); err != nil {
		return fmt.Errorf("AdminSetUserPassword %s: %w", name, err)
	}
	return nil
}

// signIn runs USER_PASSWORD_AUTH at the home region's Cognito, or at the
// user pool's replica when home does not answer, and returns the whole
// answer.
func signIn(ctx context.Context, name, pw string) (*cip.InitiateAuthOutput, error) {
	out, _, err := identityPool.Password(ctx, name, pw)
	return out, err
}

// newUser creates a confirmed user without sending a message, and signs
// it in.
func newUser(ctx context.Context, role string) (user, error) {
	name := username(role)
	if err := adminCreateUser(ctx, tgt.PoolID, name, password); err != nil {
		return user{}, err
	}
	out, err := signIn(ctx, name, password)
	if err != nil {
		return user{}, fmt.Errorf("sign in %s: %w", name, err)
	}
	if out.AuthenticationResult == nil {
		return user{}, fmt.Errorf("sign in %s: challenge %s instead of tokens", name, out.ChallengeName)
	}
	return user{Name: name, IDToken: aws.ToString(out.AuthenticationResult.IdToken), AccessToken: aws.ToString(out.AuthenticationResult.AccessToken)}, nil
}

// users returns two confirmed, signed-in users shared by the API tests.
func users(t *testing.T) (alice, bob user) {
	t.Helper()
	s := &sharedUsers
	s.once.Do(func() {
		ctx := context.Background()
		if s.alice, s.err = newUser(ctx, "alice"); s.err != nil {
			return
		}
		s.bob, s.err = newUser(ctx, "bob")
	})
	if s.err != nil {
		t.Fatalf("create the test users: %v", s.err)
	}
	return s.alice, s.bob
}

// newRequest returns a function that builds the request anew for each try
// of sendRetrying: the JSON payload when hasBody, and the raw ID token in
// Authorization, as the seed's client sent it.
func newRequest(method, url, token string, payload []byte, hasBody bool) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		var rd io.Reader
		if hasBody {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, url, rd)
		if err != nil {
			return nil, err
		}
		if hasBody {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		return req, nil
	}
}
