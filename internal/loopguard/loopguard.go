// Package loopguard keeps an emulator's API to the programs of this machine:
// a listener on the loopback address only, and an HTTP guard that refuses
// what a web browser sends. The emulators Hush runs locally (cognito-local,
// DynamoDB Local) check no credentials, so whoever reaches them can add a
// user to admins or rewrite the table; a web page the developer visits is
// such a client unless browser requests are refused.
//
// A browser marks its requests: every cross-origin request and every POST
// carries Origin, and modern browsers add Sec-Fetch-Site. A page that
// rebinds its own DNS name to 127.0.0.1 sends that name as Host. The AWS
// SDKs and CLIs send none of these, and always a loopback Host, so the
// guard refuses a request with any of the three and costs a real client
// nothing.
package loopguard

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
)

// Listen listens on 127.0.0.1:port; port 0 picks a free one.
func Listen(port int) (net.Listener, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("loopguard: listen on 127.0.0.1:%d: %w", port, err)
	}
	return l, nil
}

// Refusal says why Check refused a request, or is empty.
type Refusal string

// Check reports why r must be refused, or "" when it may pass: a request
// from another machine, one a browser sent, or one addressed to a name that
// is not this machine's loopback.
func Check(r *http.Request) Refusal {
	if why := CheckHost(r); why != "" {
		return why
	}
	if r.Header.Get("Origin") != "" {
		return "browser request (Origin)"
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "none" {
		return "browser request (Sec-Fetch-Site)"
	}
	return ""
}

// CheckHost reports why r must be refused by a server that browsers may
// use (a status page), or "": a request from another machine, or one
// addressed to a name that is not this machine's loopback, which is what a
// page that rebinds its own DNS name to 127.0.0.1 sends.
func CheckHost(r *http.Request) Refusal {
	if !loopbackHost(remoteHost(r.RemoteAddr)) {
		return "not from this machine"
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !loopbackHost(host) {
		return "Host is not a loopback name"
	}
	return ""
}

// HostOnly returns next behind CheckHost: a refused request gets 403 with
// a short text body.
func HostOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := CheckHost(r); why != "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			_, _ = fmt.Fprintf(w, "refused: %s; open this page at 127.0.0.1\n", why)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Handler returns next behind the guard: a refused request gets 403 with a
// short text body and no CORS headers, so a browser learns nothing, and
// next never sees it. CORS headers next sets are removed too, so no answer
// invites a browser to read it.
func Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := Check(r); why != "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			_, _ = fmt.Fprintf(w, "refused: %s; this emulator answers programs on this machine only\n", why) //nolint:gosec // text/plain, and why is one of Check's fixed phrases
			return
		}
		next.ServeHTTP(&noCORS{ResponseWriter: w}, r)
	})
}

// Proxy returns a guarded reverse proxy to target, an emulator listening on
// loopback. The Host header is passed on as the client sent it, so an
// emulator that derives URLs from it (cognito-local's issuer) sees the
// guard's address, which is the one clients know.
func Proxy(target *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
	}
	return Handler(rp)
}

// noCORS drops the Access-Control-* headers of an answer.
type noCORS struct {
	http.ResponseWriter
	wrote bool
}

func (w *noCORS) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		for k := range w.Header() {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				w.Header().Del(k)
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *noCORS) Write(b []byte) (int, error) {
	if !w.wrote {
		// An implicit 200 must drop the headers as well.
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streamed answers through.
func (w *noCORS) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// loopbackHost reports whether host names this machine's loopback: a
// loopback IP address or "localhost".
func loopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ExternalAddrs returns this machine's IP addresses that other machines may
// reach: every interface address that is not loopback, link-local or
// multicast. Tests dial them to prove a port is closed to the network.
func ExternalAddrs() ([]string, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("loopguard: interface addresses: %w", err)
	}
	var out []string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip := ipn.IP
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
			continue
		}
		out = append(out, ip.String())
	}
	return out, nil
}
