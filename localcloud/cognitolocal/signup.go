package cognitolocal

import (
	"encoding/json"
	"net/http"

	"github.com/hush-scores/hush/internal/loopguard"
)

// signUpTarget is the X-Amz-Target of Cognito's SignUp.
const signUpTarget = "AWSCognitoIdentityProviderService.SignUp"

// SignUpRefusal is the message Cognito gives a SignUp to a pool whose
// AdminCreateUserConfig.AllowAdminCreateUserOnly is true, with HTTP 400 and
// the error type NotAuthorizedException. The wording is as AWS answers it:
// for example the 400 with {"__type":"NotAuthorizedException","message":
// "SignUp is not permitted for this user pool"} quoted in
// https://github.com/pmill/aws-cognito/issues/37.
const SignUpRefusal = "SignUp is not permitted for this user pool"

// refuseSignUp returns next with SignUp refused as Cognito refuses it for
// a pool where only administrators create users. cognito-local 5 stores
// AllowAdminCreateUserOnly but lets anyone sign up whatever it says, so the
// guard applies the stack's setting itself. A request the loopback guard
// refuses is left to it, so a browser still gets the guard's 403 and
// learns nothing more.
func refuseSignUp(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != signUpTarget || loopguard.Check(r) != "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", "NotAuthorizedException")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "NotAuthorizedException", "message": SignUpRefusal})
	})
}
