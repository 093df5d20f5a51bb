package localcloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/gateway"
)

// How the gateways accept the tokens of a pool with a replica
// (Options.IdentityAuthorizer). Whether API Gateway's Cognito authorizer
// accepts tokens with the multi-Region issuer, or issued by a replica, is
// not documented, so the local stack runs both answers.
const (
	// AuthorizerCognito is the Cognito authorizer with the pool's
	// multi-Region issuer ("UPDATED", https://issuer-cognito-idp.<primary
	// region>.amazonaws.com/<pool>, whose keys are "hosted in multiple
	// regions", API reference IssuerConfigurationType): both replicas
	// issue tokens naming that one issuer, and every gateway checks them
	// against the keys it serves, which stay up while the home region is
	// lost. Unverified on AWS.
	AuthorizerCognito = "cognito"
	// AuthorizerLambda is the fallback: each replica keeps its region's own
	// issuer and every gateway verifies a token against the keys of the
	// replica that issued it, as a Lambda authorizer would.
	AuthorizerLambda = "lambda"
)

// identity is the user pool's secondary replica: its own cognito-local in
// the replica region's slot, following the primary's directory, and, for
// AuthorizerCognito, the host of the multi-Region issuer.
type identity struct {
	region string
	mode   string
	delay  time.Duration
	// set is the replica set, known once the pool exists; the primary's
	// guard answers its operations through it.
	set     atomic.Pointer[cognitolocal.ReplicaSet]
	issuer  *issuerHost
	replica *cognitolocal.Replica
}

// resolveIdentity checks the replica settings of opts against the
// stack's regions: the replica region must be a region of the stack and
// not the home region, as hush:identityReplicaRegion.
func resolveIdentity(opts Options, regions []string) (*identity, error) {
	if opts.IdentityReplicaRegion == "" {
		if opts.IdentityAuthorizer != "" {
			return nil, errors.New("localcloud: IdentityAuthorizer needs IdentityReplicaRegion")
		}
		return nil, nil //nolint:nilnil // a stack without a replica has no identity part
	}
	r := opts.IdentityReplicaRegion
	switch {
	case r == regions[0]:
		return nil, fmt.Errorf("localcloud: identity replica region %s is the home region, which holds the primary user pool; choose another region of %v", r, regions)
	case !slices.Contains(regions, r):
		return nil, fmt.Errorf("localcloud: identity replica region %q is not one of the regions %v", r, regions)
	}
	mode := opts.IdentityAuthorizer
	switch mode {
	case "":
		mode = AuthorizerCognito
	case AuthorizerCognito, AuthorizerLambda:
	default:
		return nil, fmt.Errorf("localcloud: IdentityAuthorizer %q: want %q or %q", mode, AuthorizerCognito, AuthorizerLambda)
	}
	return &identity{region: r, mode: mode, delay: opts.IdentityReplicaDelay}, nil
}

// openIssuerStep serves the multi-Region issuer before cognito-local
// starts, since both replicas name it in their tokens.
func openIssuerStep(_ context.Context, s *Stack) error {
	id := s.set.identity
	if id == nil || id.mode != AuthorizerCognito {
		return nil
	}
	l, err := listen(s.set.ports.issuer(), "the multi-Region issuer")
	if err != nil {
		return err
	}
	id.issuer = &issuerHost{}
	id.issuer.serve(l)
	s.onClose(id.issuer.close)
	s.info.IdentityAuthorizer = id.mode
	return nil
}

// cognitoIssuerDomain is the IssuerDomain both replicas use: the
// multi-Region issuer's, or "" for each server's own.
func (s *Stack) cognitoIssuerDomain() string {
	if id := s.set.identity; id != nil && id.issuer != nil {
		return id.issuer.url
	}
	return ""
}

// wrapCognito lets the primary answer the replica set's operations once
// the set exists.
func (s *Stack) wrapCognito(next http.Handler) http.Handler {
	id := s.set.identity
	if id == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if set := id.set.Load(); set != nil {
			set.Handler(next).ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// openIdentityReplicaStep starts the secondary on a copy of the pool,
// INACTIVE, as CreateUserPoolReplica leaves a new one.
func openIdentityReplicaStep(ctx context.Context, s *Stack) error {
	id := s.set.identity
	if id == nil {
		return nil
	}
	log, err := s.data.openLog("cognito-local-replica.log")
	if err != nil {
		return err
	}
	set := cognitolocal.NewReplicaSet(s.info.UserPoolID, s.info.HomeRegion, id.region)
	id.set.Store(set)
	rep, err := cognitolocal.StartReplica(ctx, cognitolocal.ReplicaOptions{
		Set: set, Primary: s.cognito, PrimaryDir: s.data.cognito(),
		Dir: s.data.cognito() + "-replica", Port: s.set.ports.cognitoReplica(), ModuleRoot: s.set.root,
		Log: log, Secret: s.data.secret, IssuerDomain: s.cognitoIssuerDomain(), Delay: id.delay,
		Failed: func(err error) { s.data.logger.Error("identity replica", "err", err) },
	})
	if err != nil {
		return fmt.Errorf("localcloud: %w", err)
	}
	id.replica = rep
	s.onClose(rep.Close)
	if id.issuer != nil {
		id.issuer.pool.Store(&s.info.UserPoolID)
		id.issuer.sources.Store(&[]string{s.cognito.Endpoint, rep.Endpoint})
	}
	s.info.IdentityReplicaRegion, s.info.IdentityReplicaEndpoint = id.region, rep.Endpoint
	s.info.IdentityAuthorizer = id.mode
	return nil
}

// identityIssuers are what every gateway trusts with AuthorizerLambda:
// each replica's own issuer and keys; nil otherwise (the gateways then
// trust Info.Issuer alone).
func (s *Stack) identityIssuers() []gateway.CognitoOptions {
	id := s.set.identity
	if id == nil || id.mode != AuthorizerLambda {
		return nil
	}
	pool, client := s.info.UserPoolID, s.info.UserPoolClientID
	return []gateway.CognitoOptions{
		{Issuer: s.cognito.Issuer(pool), JWKSURL: s.cognito.JWKSURL(pool), ClientID: client},
		{Issuer: id.replica.Issuer(pool), JWKSURL: id.replica.JWKSURL(pool), ClientID: client},
	}
}

// ActivateIdentityReplica makes the user pool's secondary serve sign-in,
// the runbook's step on AWS (aws cognito-idp update-user-pool-replica
// --status ACTIVE): through the Cognito API, at the secondary's endpoint,
// which answers while the home region is lost.
func (s *Stack) ActivateIdentityReplica(ctx context.Context) error {
	return s.setIdentityReplicaStatus(ctx, types.UpdateReplicaStatusTypeActive)
}

// DeactivateIdentityReplica takes the secondary back to INACTIVE.
func (s *Stack) DeactivateIdentityReplica(ctx context.Context) error {
	return s.setIdentityReplicaStatus(ctx, types.UpdateReplicaStatusTypeInactive)
}

func (s *Stack) setIdentityReplicaStatus(ctx context.Context, status types.UpdateReplicaStatusType) error {
	id := s.set.identity
	if id == nil {
		return errors.New("localcloud: this stack has no identity replica region")
	}
	c := cognitolocal.NewSignedClient(id.replica.Endpoint, id.region, s.data.secret)
	_, err := c.UpdateUserPoolReplica(ctx, &cip.UpdateUserPoolReplicaInput{
		UserPoolId: aws.String(s.info.UserPoolID), RegionName: aws.String(id.region), Status: status,
	})
	if err != nil {
		return fmt.Errorf("localcloud: set the identity replica in %s %s: %w", id.region, status, err)
	}
	return nil
}

// IdentityReplicaStatus returns the secondary's status (ACTIVE or
// INACTIVE), or "" without a replica.
func (s *Stack) IdentityReplicaStatus() string {
	if id := s.set.identity; id != nil {
		if set := id.set.Load(); set != nil {
			return set.Status()
		}
	}
	return ""
}

// SetCognitoDark takes the Cognito endpoint of region away (dark) or
// brings it back: the home region's is the primary's, the replica
// region's the secondary's. While dark its port refuses connections, as
// the endpoint of a lost region does; the primary's directory then no
// longer reaches the secondary.
func (s *Stack) SetCognitoDark(region string, dark bool) error {
	if region == s.info.HomeRegion {
		if dark {
			return s.cognito.Darken()
		}
		return s.cognito.Light()
	}
	if id := s.set.identity; id != nil && region == id.region {
		return id.replica.SetDark(dark)
	}
	return fmt.Errorf("localcloud: %s holds no Cognito endpoint in this stack", region)
}

// issuerHost serves the multi-Region issuer's keys and OpenID
// configuration, read from the first replica that answers: both serve
// the same keys, so a lost home region leaves the issuer up, as AWS hosts
// it in several regions.
type issuerHost struct {
	url string
	srv *http.Server
	// sources are the replicas' endpoints, primary first; set once both
	// run, before any gateway asks.
	sources atomic.Pointer[[]string]
	// pool is the user pool's ID, set with sources.
	pool atomic.Pointer[string]
}

// path returns where the pool's document doc is served.
func (h *issuerHost) path(doc string) string {
	p := h.pool.Load()
	if p == nil {
		return ""
	}
	return "/" + *p + "/.well-known/" + doc
}

func (h *issuerHost) serve(l net.Listener) {
	h.url = "http://" + l.Addr().String()
	client := &http.Client{Timeout: 5 * time.Second}
	h.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only the two documents of the pool, so the path passed on is one
		// of two names, never the caller's.
		var doc string
		switch r.URL.Path {
		case h.path("jwks.json"):
			doc = "jwks.json"
		case h.path("openid-configuration"):
			doc = "openid-configuration"
		}
		if r.Method != http.MethodGet || doc == "" {
			http.NotFound(w, r)
			return
		}
		var sources []string
		if p := h.sources.Load(); p != nil {
			sources = *p
		}
		for _, src := range sources {
			req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, src+h.path(doc), nil)
			if err != nil {
				continue
			}
			resp, err := client.Do(req)
			if err != nil {
				continue // that replica's region is lost: the next one
			}
			w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
			resp.Body.Close()
			return
		}
		http.Error(w, "no replica of the user pool answers", http.StatusServiceUnavailable)
	})}
	go func() { _ = h.srv.Serve(l) }() // close ends it
}

func (h *issuerHost) close() error {
	_ = h.srv.Close() // its error would only say it was closed already
	return nil
}

// identityStepName names the replica's start-up step, or nothing without
// a replica.
func identityStepName(set settings) string {
	if set.identity == nil {
		return ""
	}
	return "starting the user pool's replica in " + set.identity.region + " (INACTIVE)"
}

// loseIdentityReplica darkens (or lights) the user pool's replica when
// region is where it lives: a lost region's Cognito answers nothing,
// whichever replica it holds.
func (s *Stack) loseIdentityReplica(region string, lost bool) error {
	if id := s.set.identity; id != nil && id.replica != nil && region == id.region {
		return id.replica.SetDark(lost)
	}
	return nil
}
