package cognitolocal

import (
	"fmt"
	"net/http"
)

// secondaryAllowed are the operations a secondary replica serves. The API
// reference (UserPoolReplicaType, Role SECONDARY) says it "supports a
// limited set of end user and administrator operations. Generally, only
// administrator operations that set configurations specific to the
// replica, and only end-user operations that do not create or change
// attributes of a user are supported"; the developer guide's limits of
// MRR name what that refuses: sign-up and admin-created users, password
// resets, profile changes and TOTP MFA. So the list holds sign-in, token
// use and reads; everything else, including every operation that writes
// the directory, is refused.
var secondaryAllowed = map[string]bool{
	// A user's own sign-in and token use.
	"InitiateAuth": true, "RespondToAuthChallenge": true, "GetUser": true,
	"GlobalSignOut": true, "RevokeToken": true, "GetTokensFromRefreshToken": true,
	// Administrator sign-in and reads.
	"AdminInitiateAuth": true, "AdminRespondToAuthChallenge": true, "AdminGetUser": true,
	"AdminListGroupsForUser": true, "AdminUserGlobalSignOut": true,
	"ListUsers": true, "ListGroups": true, "GetGroup": true, "ListUsersInGroup": true,
	"DescribeUserPool": true, "DescribeUserPoolClient": true, "ListUserPools": true,
	"ListUserPoolClients": true,
}

// endUserOperations are the operations an INACTIVE secondary refuses:
// "The replica has been created, but is not accepting requests for
// end-users. Administrator configuration operations are supported"
// (UserPoolReplicaType, Status INACTIVE).
var endUserOperations = map[string]bool{
	"InitiateAuth": true, "RespondToAuthChallenge": true, "GetUser": true,
	"GlobalSignOut": true, "RevokeToken": true, "GetTokensFromRefreshToken": true,
	"AdminInitiateAuth": true, "AdminRespondToAuthChallenge": true,
}

// secondaryChallenges are the challenge answers a secondary refuses: both
// set something on the user (a new password, a TOTP authenticator).
var secondaryChallenges = map[string]bool{"NEW_PASSWORD_REQUIRED": true, "MFA_SETUP": true}

// NotEnabledError is the error type a secondary answers with. The service
// model lists OperationNotEnabledException among the errors of SignUp,
// AdminCreateUser, ForgotPassword, UpdateUserAttributes,
// AssociateSoftwareToken and the rest, and documents it as "thrown when an
// operation is not available in the current region or for the current
// user pool configuration. This can occur when attempting to perform
// operations that are not supported in secondary replica regions". AWS
// does not publish its message text; the messages here are Hush's.
const NotEnabledError = "OperationNotEnabledException"

// secondary returns next behind a secondary replica's rules: operations a
// secondary does not serve get OperationNotEnabledException, and while
// the set's secondary is INACTIVE so do end-user operations. The replica
// set's own operations are answered before (ReplicaSet.Handler), so
// activation works on an inactive replica.
func secondary(rs *ReplicaSet, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := operation(r)
		if op == "" { // the pool's keys and OpenID configuration
			next.ServeHTTP(w, r)
			return
		}
		if !secondaryAllowed[op] {
			writeError(w, NotEnabledError, fmt.Sprintf("%s is not supported by the secondary replica of user pool %s in %s; call it in the primary region %s", op, rs.PoolID, rs.Secondary, rs.Primary))
			return
		}
		if endUserOperations[op] && rs.Status() != StatusActive {
			writeError(w, NotEnabledError, fmt.Sprintf("the secondary replica of user pool %s in %s is %s and serves no end-user requests until UpdateUserPoolReplica makes it ACTIVE", rs.PoolID, rs.Secondary, rs.Status()))
			return
		}
		if op == "RespondToAuthChallenge" || op == "AdminRespondToAuthChallenge" {
			var in struct{ ChallengeName string }
			if !readInput(w, r, &in) {
				return
			}
			if secondaryChallenges[in.ChallengeName] {
				writeError(w, NotEnabledError, fmt.Sprintf("the %s challenge sets a password or an authenticator, which the secondary replica of user pool %s in %s cannot; sign in in the primary region %s", in.ChallengeName, rs.PoolID, rs.Secondary, rs.Primary))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
