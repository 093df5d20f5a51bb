// Package signin signs users in to Hush's user pool at the home region's
// Cognito endpoint and, when that does not answer, at the endpoint of the
// pool's secondary replica (Cognito multi-Region replication), as every
// client of Hush does: `hush-local token`, the e2e suite and the README's
// AWS CLI examples.
//
// Only an endpoint that does not answer sends a client on: a connection
// refused or reset, a name that does not resolve, no answer within the
// try's bound, or a server fault (HTTP 5xx). Any other answer, a wrong
// password included, is the answer. A sign-up that reaches only the
// secondary gets its refusal (OperationNotEnabledException: a secondary
// creates no users), which SignUp explains in plain words.
package signin

import (
	"context"
	"errors"
	"fmt"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Endpoint is one replica of the pool: its region and a Cognito client
// for that region's endpoint.
type Endpoint struct {
	Region string
	Client *cip.Client
}

// DefaultTryTimeout bounds each endpoint's try, so a region that swallows
// connections (rather than refusing them) does not hold the sign-in.
const DefaultTryTimeout = 10 * time.Second

// Pool is the pool's endpoints, home first, and its app client.
type Pool struct {
	// Endpoints are tried in order: the home region's, then the replica's.
	Endpoints []Endpoint
	ClientID  string
	// TryTimeout bounds each endpoint's try; 0 means DefaultTryTimeout.
	TryTimeout time.Duration
}

// Unanswered reports whether err says the endpoint did not answer, as
// opposed to an answer (of any kind) from Cognito.
func Unanswered(err error) bool {
	if err == nil {
		return false
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return true
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// try calls fn at each endpoint in turn until one answers, and returns
// the region that answered. Errors of endpoints that did not answer are
// kept, so that when none does the error names each.
func (p Pool) try(ctx context.Context, fn func(context.Context, *cip.Client) error) (string, error) {
	if len(p.Endpoints) == 0 {
		return "", errors.New("signin: no Cognito endpoint")
	}
	bound := p.TryTimeout
	if bound == 0 {
		bound = DefaultTryTimeout
	}
	var errs []error
	for _, ep := range p.Endpoints {
		tctx, cancel := context.WithTimeout(ctx, bound)
		err := fn(tctx, ep.Client)
		cancel()
		if err == nil {
			return ep.Region, nil
		}
		if ctx.Err() != nil || !Unanswered(err) {
			return ep.Region, err
		}
		errs = append(errs, fmt.Errorf("%s did not answer: %w", ep.Region, err))
	}
	return "", fmt.Errorf("signin: no Cognito endpoint answered: %w", errors.Join(errs...))
}

// Password signs name in with USER_PASSWORD_AUTH at the first endpoint
// that answers, and returns Cognito's answer (tokens, or a challenge) and
// the region that gave it.
func (p Pool) Password(ctx context.Context, name, password string) (*cip.InitiateAuthOutput, string, error) {
	var out *cip.InitiateAuthOutput
	region, err := p.try(ctx, func(ctx context.Context, c *cip.Client) error {
		var err error
		out, err = c.InitiateAuth(ctx, &cip.InitiateAuthInput{
			ClientId: &p.ClientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password},
		})
		return err
	})
	if err != nil {
		return nil, region, fmt.Errorf("sign in %s at %s: %w", name, regionOrNone(region), err)
	}
	return out, region, nil
}

// IDToken signs name in (Password) and returns the ID token, the one
// API Gateway's Cognito authorizer accepts.
func (p Pool) IDToken(ctx context.Context, name, password string) (string, string, error) {
	out, region, err := p.Password(ctx, name, password)
	if err != nil {
		return "", region, err
	}
	if out.AuthenticationResult == nil || out.AuthenticationResult.IdToken == nil {
		return "", region, fmt.Errorf("sign in %s at %s: challenge %s instead of tokens", name, region, out.ChallengeName)
	}
	return *out.AuthenticationResult.IdToken, region, nil
}

// ErrSecondary marks a refusal by the pool's secondary replica: what a
// secondary does not serve (sign-up above all) while the home region does
// not answer.
var ErrSecondary = errors.New("the user pool's secondary replica refuses this")

// SignUp sends in (its ClientId set from p) to the first endpoint that
// answers. When only the secondary answers, its refusal is returned
// wrapped in ErrSecondary, with the reason in plain words and Cognito's
// own error kept (errors.As finds *types.OperationNotEnabledException).
func (p Pool) SignUp(ctx context.Context, in cip.SignUpInput) (*cip.SignUpOutput, string, error) {
	in.ClientId = &p.ClientID
	var out *cip.SignUpOutput
	region, err := p.try(ctx, func(ctx context.Context, c *cip.Client) error {
		var err error
		out, err = c.SignUp(ctx, &in)
		return err
	})
	var notEnabled *types.OperationNotEnabledException
	if err != nil && errors.As(err, &notEnabled) && len(p.Endpoints) > 0 && region != p.Endpoints[0].Region {
		return nil, region, fmt.Errorf("sign-up is not possible while the home region %s does not answer: only the user pool's replica in %s answered, and a replica creates no users (%w: %w)",
			p.Endpoints[0].Region, region, ErrSecondary, err)
	}
	if err != nil {
		return nil, region, fmt.Errorf("sign up at %s: %w", regionOrNone(region), err)
	}
	return out, region, nil
}

func regionOrNone(region string) string {
	if region == "" {
		return "any region"
	}
	return region
}
