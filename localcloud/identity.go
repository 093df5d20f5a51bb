package localcloud

import (
	"cmp"
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
	"github.com/hush-scores/hush/stackconfig"
)

// identity is the user pool's secondary replica: its own cognito-local in
// the replica region's slot, following the primary's directory, and, with
// the multi-Region issuer, the host of that issuer.
//
// Whether API Gateway's Cognito authorizer accepts tokens a replica
// issued, or tokens naming the multi-Region issuer, is not documented, so
// the local stack does not decide it: with either issuer and either
// authorizer (hush:identityIssuer, hush:authorizer), every gateway trusts
// the issuers the cloud's authorizer is configured with, and the tests run
// the combinations.
type identity struct {
	region string
	delay  time.Duration
	// set is the replica set, known once the pool exists; the primary's
	// guard answers its operations through it.
	set     atomic.Pointer[cognitolocal.ReplicaSet]
	issuer  *issuerHost
	replica *cognitolocal.Replica
}

// resolveIdentity reads the replica, issuer and authorizer settings: the
// options where given, else the stack file's. The replica region must be a
// region of the stack and not the home region, as
// hush:identityReplicaRegion.
func resolveIdentity(set *settings, opts Options) error {
	file := set.fileIdentity
	set.issuer = cmp.Or(opts.IdentityIssuer, file.Issuer, stackconfig.IssuerOriginal)
	set.authorizer = cmp.Or(opts.Authorizer, file.Authorizer, stackconfig.AuthorizerCognito)
	if set.issuer != stackconfig.IssuerOriginal && set.issuer != stackconfig.IssuerMultiRegion {
		return fmt.Errorf("localcloud: identity issuer %q: want %s or %s", set.issuer, stackconfig.IssuerOriginal, stackconfig.IssuerMultiRegion)
	}
	if set.authorizer != stackconfig.AuthorizerCognito && set.authorizer != stackconfig.AuthorizerLambda {
		return fmt.Errorf("localcloud: authorizer %q: want %s or %s", set.authorizer, stackconfig.AuthorizerCognito, stackconfig.AuthorizerLambda)
	}
	r := cmp.Or(opts.IdentityReplicaRegion, file.ReplicaRegion)
	if opts.NoIdentityReplica {
		r = ""
	}
	if r == "" {
		return nil
	}
	switch {
	case r == set.regions[0]:
		return fmt.Errorf("localcloud: identity replica region %s is the home region, which holds the primary user pool; choose another region of %v", r, set.regions)
	case !slices.Contains(set.regions, r):
		return fmt.Errorf("localcloud: identity replica region %q is not one of the regions %v", r, set.regions)
	}
	set.identity = &identity{region: r, delay: opts.IdentityReplicaDelay}
	return nil
}

// openIssuerStep serves the multi-Region issuer before cognito-local
// starts, since both replicas name it in their tokens.
func openIssuerStep(_ context.Context, s *Stack) error {
	id := s.set.identity
	if id == nil || s.set.issuer != stackconfig.IssuerMultiRegion {
		return nil
	}
	l, err := listen(s.set.ports.issuer(), "the multi-Region issuer")
	if err != nil {
		return err
	}
	id.issuer = &issuerHost{}
	id.issuer.serve(l)
	s.onClose(id.issuer.close)
	return nil
}

// cognitoIssuerDomain is the IssuerDomain both replicas use: the
// multi-Region issuer's, or "" for each server's own (the original
// issuer). Without a replica the pool keeps its original issuer.
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
	s.info.IdentityIssuer, s.info.Authorizer = s.set.issuer, s.set.authorizer
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
		// The issuer's keys, not the primary's: they stay up when the home
		// region is lost.
		s.info.JWKSURL = id.issuer.url + id.issuer.path("jwks.json")
	}
	s.info.IdentityReplicaRegion, s.info.IdentityReplicaEndpoint = id.region, rep.Endpoint
	return nil
}

// trustedIssuers are the issuers every gateway trusts, each with its
// keys: the pool's; with a replica and the original issuer, the
// replica's as well (the Cognito authorizer's providerARNs name both, the
// Lambda authorizer's TOKEN_ISSUERS too); with the multi-Region issuer,
// that one issuer, which both replicas name.
func (s *Stack) trustedIssuers() []gateway.CognitoOptions {
	pool, client := s.info.UserPoolID, s.info.UserPoolClientID
	primary := gateway.CognitoOptions{Issuer: s.info.Issuer, JWKSURL: s.info.JWKSURL, ClientID: client}
	id := s.set.identity
	if id == nil || id.issuer != nil {
		return []gateway.CognitoOptions{primary}
	}
	return []gateway.CognitoOptions{primary, {Issuer: id.replica.Issuer(pool), JWKSURL: id.replica.JWKSURL(pool), ClientID: client}}
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

// lambdaAuthorizer is hush:authorizer lambda, for start.go.
const lambdaAuthorizer = stackconfig.AuthorizerLambda
