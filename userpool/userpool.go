// Package userpool describes Hush's Cognito user pool and app client once, so
// that the cloud stack and the local stack create them alike.
package userpool

// PasswordPolicy is the pool's password policy.
type PasswordPolicy struct {
	MinimumLength    int
	RequireLowercase bool
	RequireUppercase bool
	RequireNumbers   bool
	RequireSymbols   bool
}

// Design describes the user pool and its app client.
type Design struct {
	// SelfSignUp lets anyone create an account with SignUp; without it
	// only an administrator creates users (Cognito's
	// AdminCreateUserConfig.AllowAdminCreateUserOnly). It is the stack's
	// hush:selfSignUp, so Pool leaves it false: closed unless a stack
	// opens it.
	SelfSignUp bool
	// UsernameAttributes is empty: users pick a username, which is what
	// cognito:username carries and what the API greets. E-mail is an alias.
	AliasAttributes        []string
	AutoVerifiedAttributes []string
	RequiredAttributes     []string
	PasswordPolicy         PasswordPolicy
	// ExplicitAuthFlows are the app client's flows.
	ExplicitAuthFlows []string
	// ReadAttributes and WriteAttributes are the attributes the app client
	// may read and change, listed so that a new attribute is not readable
	// or writable by default. E-mail is a sign-in alias: users may change
	// it, but only through verification (VerifyBeforeUpdate).
	ReadAttributes  []string
	WriteAttributes []string
	// VerifyBeforeUpdate keeps the old value of these attributes in use
	// until the user confirms the new one with the code sent to it
	// (Cognito's attributes require verification before update), so an
	// e-mail change cannot take the alias before it is proved.
	VerifyBeforeUpdate []string
	// Token lifetimes of the app client.
	IDTokenValidityMinutes     int
	AccessTokenValidityMinutes int
	RefreshTokenValidityDays   int
}

// Pool returns the design of Hush's user pool and app client.
func Pool() Design {
	return Design{
		AliasAttributes:        []string{"email"},
		AutoVerifiedAttributes: []string{"email"},
		RequiredAttributes:     []string{"email"},
		PasswordPolicy: PasswordPolicy{
			MinimumLength:    8,
			RequireLowercase: true,
			RequireUppercase: true,
			RequireNumbers:   true,
			RequireSymbols:   false,
		},
		ExplicitAuthFlows:          []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		ReadAttributes:             []string{"email", "email_verified"},
		WriteAttributes:            []string{"email"},
		VerifyBeforeUpdate:         []string{"email"},
		IDTokenValidityMinutes:     60,
		AccessTokenValidityMinutes: 60,
		RefreshTokenValidityDays:   30,
	}
}
