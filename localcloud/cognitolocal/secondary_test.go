package cognitolocal

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// call sends op with body through h and returns the status, the error
// type (empty on success) and the body.
func call(t *testing.T, h http.Handler, op, body string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Header().Get("X-Amzn-ErrorType"), w.Body.String()
}

// passed is the next handler of the tests: it answers 200 "passed".
var passed = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("passed")) })

func TestSecondaryRules(t *testing.T) {
	tests := []struct {
		name, op, body string
		active         bool
		wantErr        string
	}{
		{"sign-in while active", "InitiateAuth", `{}`, true, ""},
		{"sign-in while inactive", "InitiateAuth", `{}`, false, NotEnabledError},
		{"admin read while inactive", "AdminGetUser", `{}`, false, ""},
		{"sign-up", "SignUp", `{}`, true, NotEnabledError},
		{"admin-created user", "AdminCreateUser", `{}`, true, NotEnabledError},
		{"password reset", "ForgotPassword", `{}`, true, NotEnabledError},
		{"admin password reset", "AdminResetUserPassword", `{}`, true, NotEnabledError},
		{"profile change", "UpdateUserAttributes", `{}`, true, NotEnabledError},
		{"admin profile change", "AdminUpdateUserAttributes", `{}`, true, NotEnabledError},
		{"TOTP set-up", "AssociateSoftwareToken", `{}`, true, NotEnabledError},
		{"MFA preference", "SetUserMFAPreference", `{}`, true, NotEnabledError},
		{"confirmation", "ConfirmSignUp", `{}`, true, NotEnabledError},
		{"new password challenge", "RespondToAuthChallenge", `{"ChallengeName":"NEW_PASSWORD_REQUIRED"}`, true, NotEnabledError},
		{"MFA set-up challenge", "RespondToAuthChallenge", `{"ChallengeName":"MFA_SETUP"}`, true, NotEnabledError},
		{"SMS code challenge", "RespondToAuthChallenge", `{"ChallengeName":"SMS_MFA"}`, true, ""},
		{"activation while inactive", "UpdateUserPoolReplica", `{"UserPoolId":"p","RegionName":"eu-west-1","Status":"ACTIVE"}`, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := NewReplicaSet("p", "eu-central-1", "eu-west-1")
			if tt.active {
				if err := rs.SetStatus(StatusActive); err != nil {
					t.Fatal(err)
				}
			}
			h := rs.Handler(secondary(rs, passed))
			code, errType, body := call(t, h, tt.op, tt.body)
			if errType != tt.wantErr {
				t.Fatalf("%s: error type %q (%d %s), want %q", tt.op, errType, code, body, tt.wantErr)
			}
			if tt.wantErr != "" && (code != http.StatusBadRequest || !strings.Contains(body, "eu-west-1")) {
				t.Errorf("%s: %d %s, want 400 naming the replica's region", tt.op, code, body)
			}
		})
	}
}

func TestReplicaSetHandler(t *testing.T) {
	rs := NewReplicaSet("p", "eu-central-1", "eu-west-1")
	h := rs.Handler(passed)
	for _, tt := range []struct {
		name, body, wantErr string
	}{
		{"other pool", `{"UserPoolId":"q","RegionName":"eu-west-1","Status":"ACTIVE"}`, "ResourceNotFoundException"},
		{"the primary's region", `{"UserPoolId":"p","RegionName":"eu-central-1","Status":"ACTIVE"}`, "InvalidParameterException"},
		{"bad status", `{"UserPoolId":"p","RegionName":"eu-west-1","Status":"ON"}`, "InvalidParameterException"},
		{"not JSON", `{`, "InvalidParameterException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, errType, body := call(t, h, "UpdateUserPoolReplica", tt.body); errType != tt.wantErr {
				t.Errorf("error type %q (%s), want %q", errType, body, tt.wantErr)
			}
			if got := rs.Status(); got != StatusInactive {
				t.Errorf("status after a refused update = %s, want %s", got, StatusInactive)
			}
		})
	}
	if _, errType, body := call(t, h, "UpdateUserPoolReplica", `{"UserPoolId":"p","RegionName":"eu-west-1","Status":"ACTIVE"}`); errType != "" || !strings.Contains(body, `"Status":"ACTIVE"`) {
		t.Fatalf("activation: %s %s", errType, body)
	}
	_, _, body := call(t, h, "ListUserPoolReplicas", `{"UserPoolId":"p"}`)
	var out struct {
		UserPoolReplicas []struct{ RegionName, Role, Status string }
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.UserPoolReplicas) != 2 {
		t.Fatalf("ListUserPoolReplicas = %s, want two replicas", body)
	}
	want := [2]string{"eu-central-1 PRIMARY ACTIVE", "eu-west-1 SECONDARY ACTIVE"}
	for i, r := range out.UserPoolReplicas {
		if got := r.RegionName + " " + r.Role + " " + r.Status; got != want[i] {
			t.Errorf("replica %d = %s, want %s", i, got, want[i])
		}
	}
	if code, _, body := call(t, h, "InitiateAuth", `{}`); code != 200 || body != "passed" {
		t.Errorf("another operation: %d %s, want it passed on", code, body)
	}
}

func TestDirectoryKeyIgnoresRefreshTokens(t *testing.T) {
	a := map[string][]byte{"p.json": []byte(`{"Users":{"u":{"Password":"x","RefreshTokens":["t1"]}}}`)}
	b := map[string][]byte{"p.json": []byte(`{"Users":{"u":{"Password":"x","RefreshTokens":["t1","t2"]}}}`)}
	c := map[string][]byte{"p.json": []byte(`{"Users":{"u":{"Password":"y","RefreshTokens":["t1"]}}}`)}
	if directoryKey(a) != directoryKey(b) {
		t.Error("a new refresh token changed the directory's key: every sign-in would be replicated")
	}
	if directoryKey(a) == directoryKey(c) {
		t.Error("a new password left the directory's key as it was: it would not be replicated")
	}
}

func TestKeepReplicaTokens(t *testing.T) {
	mine := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(mine, []byte(`{"Users":{"u":{"RefreshTokens":["r1"]},"gone":{"RefreshTokens":["r2"]}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := keepReplicaTokens([]byte(`{"Users":{"u":{"Password":"x","RefreshTokens":["p1"]}},"Groups":{}}`), mine)
	var got struct {
		Users map[string]struct {
			Password      string
			RefreshTokens []string
		}
		Groups map[string]any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("merged file %s: %v", out, err)
	}
	if u := got.Users["u"]; u.Password != "x" || strings.Join(u.RefreshTokens, ",") != "p1,r1" {
		t.Errorf("user u = %+v, want the primary's password and both tokens", u)
	}
	if _, ok := got.Users["gone"]; ok || got.Groups == nil {
		t.Errorf("merged file %s: want the primary's users and groups only", out)
	}
}
