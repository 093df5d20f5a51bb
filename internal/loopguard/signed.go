package loopguard

import (
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// ProxyOptions configure ProxyWith.
type ProxyOptions struct {
	// Secret, when set, is the secret access key every request must be
	// signed with (AWS Signature Version 4), except those Anonymous allows.
	Secret string
	// Anonymous reports a request that needs no signature: one the real
	// service serves without credentials (Cognito's sign-in, for example).
	// Nil means every request must be signed.
	Anonymous func(*http.Request) bool
	// Upstream holds headers added to every request passed on: a token the
	// emulator behind checks, so that its own port, which any local user
	// can reach too, serves the guard alone.
	Upstream http.Header
}

// ProxyWith is Proxy with a signature check and headers for the emulator.
func ProxyWith(target *url.URL, opts ProxyOptions) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			for k, vs := range opts.Upstream {
				pr.Out.Header[k] = vs
			}
		},
	}
	return GuardWith(rp, opts)
}

// GuardWith returns next behind the guard and the signature check of
// opts (its Upstream is not used): for an emulator whose requests pass
// through more than a plain proxy, such as a replica that refuses some
// operations itself or one whose process is replaced while it serves.
func GuardWith(next http.Handler, opts ProxyOptions) http.Handler {
	if opts.Secret != "" {
		next = signed(next, opts.Secret, opts.Anonymous)
	}
	return Handler(next)
}

// signed passes on the requests signed with secret, and those anonymous
// allows; others get 403 with an AWS error body the SDKs can read.
func signed(next http.Handler, secret string, anonymous func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if anonymous != nil && anonymous(r) {
			next.ServeHTTP(w, r)
			return
		}
		if err := verifySigV4(r, secret, time.Now()); err != nil {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException")
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]string{
				"__type":  "InvalidSignatureException",
				"message": "refused: " + err.Error() + "; sign with the secret of this local stack's data dir",
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ReverseProxy returns an unguarded reverse proxy to the emulator target
// names at each request, so the process behind can be replaced while the
// guard serves (put it behind GuardWith). The Host header is passed on as
// in Proxy.
func ReverseProxy(target func() *url.URL) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target())
			pr.Out.Host = pr.In.Host
		},
	}
}
