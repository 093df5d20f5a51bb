package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// newUserInGroups creates a signed-in user (see newUser) who belongs to
// groups, creating any group the pool lacks; the token is taken after the
// groups are set, so it carries them.
func newUserInGroups(ctx context.Context, t *testing.T, role string, groups ...string) user {
	t.Helper()
	u, err := newUser(ctx, role)
	if err != nil {
		t.Fatalf("create user %s: %v", role, err)
	}
	for _, g := range groups {
		ensureGroup(ctx, t, g)
		if _, err := cognito.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: aws.String(tgt.PoolID), Username: aws.String(u.Name), GroupName: aws.String(g),
		}); err != nil {
			t.Fatalf("add %s to group %q: %v", u.Name, g, err)
		}
	}
	out, err := signIn(ctx, u.Name, password)
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("sign %s in again after joining %q: %v", u.Name, groups, err)
	}
	u.IDToken = aws.ToString(out.AuthenticationResult.IdToken)
	return u
}

// ensureGroup creates group g unless the pool has it. A group this test
// creates is deleted when it ends; one that existed (admins, or another
// run's) is left alone.
func ensureGroup(ctx context.Context, t *testing.T, g string) {
	t.Helper()
	_, err := cognito.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(tgt.PoolID), GroupName: aws.String(g)})
	var exists *types.GroupExistsException
	switch {
	case errors.As(err, &exists):
	case err != nil:
		t.Fatalf("create group %q (the suite's credentials need cognito-idp:CreateGroup): %v", g, err)
	default:
		t.Cleanup(func() {
			if _, err := cognito.DeleteGroup(context.Background(), &cip.DeleteGroupInput{UserPoolId: aws.String(tgt.PoolID), GroupName: aws.String(g)}); err != nil {
				t.Errorf("delete group %q: %v", g, err)
			}
		})
	}
}

// TestOwnerSurvivesNameReuse deletes a user who owns a match and signs up a
// new user with the same username: the newcomer must not replace or delete
// the old match, which belongs to the first account's sub.
func TestOwnerSurvivesNameReuse(t *testing.T) {
	ctx := context.Background()
	admin := newUserInGroups(ctx, t, "reuse-admin", "admins")
	first, err := newUser(ctx, "reused-name")
	if err != nil {
		t.Fatalf("create the first user: %v", err)
	}
	tid := tournament("reuse")
	body := matchBody(tid, "m1", "Ann", "Bea", "5,4,9")
	r := do(t, http.MethodPost, homeURL()+"/v1/tournament/match", first.IDToken, body)
	wantStatus(t, "POST by the first user", r, http.StatusOK)
	u := matchURL(homeURL(), tid, "m1")
	rememberMatch(u, admin.IDToken)

	if _, err := cognito.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(tgt.PoolID), Username: aws.String(first.Name)}); err != nil {
		t.Fatalf("delete the first user: %v", err)
	}
	second, err := newUser(ctx, "reused-name")
	if err != nil {
		t.Fatalf("sign up again with the same name: %v", err)
	}
	if second.Name != first.Name {
		t.Fatalf("second user is %q, want the name %q again", second.Name, first.Name)
	}

	r = do(t, http.MethodPut, homeURL()+"/v1/tournament/match", second.IDToken, matchBody(tid, "m1", "Ann", "Bea", "-5,-4,-9"))
	wantStatus(t, "PUT by the newcomer with the old name", r, http.StatusForbidden)
	r = do(t, http.MethodDelete, u, second.IDToken, nil)
	wantStatus(t, "DELETE by the newcomer with the old name", r, http.StatusForbidden)

	r = do(t, http.MethodGet, u, "", nil)
	wantStatus(t, "GET the old match", r, http.StatusOK)
	var m match
	decode(t, "GET the old match", r, &m)
	if m.Score != "5,4,9" || m.RecordedBy != first.Name {
		t.Errorf("old match = %+v, want score 5,4,9 recorded by %s, untouched", m, first.Name)
	}
	// The newcomer still owns what it writes itself.
	r = post(t, second, matchBody(tid, "m2", "Ann", "Bea", "5,4,9"))
	wantStatus(t, "POST by the newcomer", r, http.StatusOK)
	r = do(t, http.MethodDelete, matchURL(homeURL(), tid, "m2"), second.IDToken, nil)
	wantStatus(t, "DELETE of the newcomer's own match", r, http.StatusNoContent)
}

// TestAdminOnlyFromExactGroup puts users in groups whose names only
// contain "admins" and checks, through the gateway, that none of them may
// replace or delete another user's match, while a member of admins may.
// The claim API Gateway hands the function flattens the groups into one
// string, where "x,admins" looks like two groups; the token's array does
// not.
func TestAdminOnlyFromExactGroup(t *testing.T) {
	ctx := context.Background()
	alice, _ := users(t)
	tid := tournament("groups")
	r := post(t, alice, matchBody(tid, "m1", "Ann", "Bea", "5,4,9"))
	wantStatus(t, "POST by alice", r, http.StatusOK)
	u := matchURL(homeURL(), tid, "m1")

	for i, g := range []string{"x,admins", "[admins]", "players,admins", "Admins"} {
		t.Run(fmt.Sprintf("group %q", g), func(t *testing.T) {
			pretender := newUserInGroups(ctx, t, fmt.Sprintf("group%d", i), g)
			r := do(t, http.MethodPut, homeURL()+"/v1/tournament/match", pretender.IDToken, matchBody(tid, "m1", "Ann", "Bea", "-5,-4,-9"))
			wantStatus(t, "PUT of alice's match", r, http.StatusForbidden)
			r = do(t, http.MethodDelete, u, pretender.IDToken, nil)
			wantStatus(t, "DELETE of alice's match", r, http.StatusForbidden)
		})
	}
	t.Run("group admins", func(t *testing.T) {
		admin := newUserInGroups(ctx, t, "group-admin", "players", "admins")
		r := do(t, http.MethodPut, homeURL()+"/v1/tournament/match", admin.IDToken, matchBody(tid, "m1", "Ann", "Bea", "-5,-4,-9"))
		wantStatus(t, "PUT of alice's match by an admin", r, http.StatusOK)
		// The admin owns it now; alice's cleanup will find it gone.
		r = do(t, http.MethodDelete, u, admin.IDToken, nil)
		wantStatus(t, "DELETE by the admin", r, http.StatusNoContent)
	})
}
