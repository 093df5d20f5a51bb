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
	// UsernameAttributes is empty: users pick a username, which is what
	// cognito:username carries and what the API greets. E-mail is an alias.
	AliasAttributes        []string
	AutoVerifiedAttributes []string
	RequiredAttributes     []string
	PasswordPolicy         PasswordPolicy
	// ExplicitAuthFlows are the app client's flows.
	ExplicitAuthFlows []string
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
		IDTokenValidityMinutes:     60,
		AccessTokenValidityMinutes: 60,
		RefreshTokenValidityDays:   30,
	}
}
