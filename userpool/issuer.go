package userpool

import "fmt"

// The issuer types of a user pool (Cognito's IssuerConfigurationType,
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_IssuerConfigurationType.html).
const (
	// IssuerOriginal: https://cognito-idp.<region>.amazonaws.com/<pool ID>.
	IssuerOriginal = "ORIGINAL"
	// IssuerUpdated: https://issuer-cognito-idp.<primary region>.amazonaws.com/<pool ID>,
	// "recommended for all user pools, including for multi-Region
	// replication"; the same JWKS is hosted in several regions.
	IssuerUpdated = "UPDATED"
)

// Issuers returns every iss a token of the pool poolID may carry, for an
// authorizer that must accept tokens from the primary (home) and its
// replica (replica, "" for none).
//
// With the original issuer the primary's tokens name the home region, as
// documented. A replica's tokens are reported to name the replica's region
// (one user's report in awslabs/aws-jwt-verify issue 282, 2026-07-09; not
// on an AWS page: unverified), so both are accepted. With the updated
// issuer every token names the primary region, as the API reference says.
func Issuers(issuerType, home, replica, poolID string) ([]string, error) {
	if home == "" || poolID == "" {
		return nil, fmt.Errorf("userpool: issuers need the home region and the pool ID")
	}
	switch issuerType {
	case IssuerUpdated:
		return []string{fmt.Sprintf("https://issuer-cognito-idp.%s.amazonaws.com/%s", home, poolID)}, nil
	case IssuerOriginal:
		out := []string{fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", home, poolID)}
		if replica != "" && replica != home {
			out = append(out, fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", replica, poolID))
		}
		return out, nil
	}
	return nil, fmt.Errorf("userpool: unknown issuer type %q (want %s or %s)", issuerType, IssuerOriginal, IssuerUpdated)
}
