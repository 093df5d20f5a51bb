package cognitolocal

import (
	"net/http"
	"strings"
)

// publicOperations are the Cognito operations that AWS serves without
// credentials: a user's own sign-up, sign-in and account calls, which an
// app makes with at most the user's access token. Every other operation
// (the Admin* ones, pool and client management) needs IAM credentials, so
// the local guard wants them signed with the data dir's secret.
var publicOperations = map[string]bool{
	"InitiateAuth": true, "RespondToAuthChallenge": true, "SignUp": true, "ConfirmSignUp": true,
	"ResendConfirmationCode": true, "ForgotPassword": true, "ConfirmForgotPassword": true,
	"GetUser": true, "UpdateUserAttributes": true, "VerifyUserAttribute": true,
	"GetUserAttributeVerificationCode": true, "DeleteUserAttributes": true, "ChangePassword": true,
	"GlobalSignOut": true, "RevokeToken": true, "DeleteUser": true,
}

// Anonymous reports whether r is a request Cognito serves without
// credentials: a public operation, or a GET of the pool's keys or OpenID
// configuration.
func Anonymous(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	return ok && publicOperations[op]
}
