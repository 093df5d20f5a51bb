package frontdoor

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// API Gateway behind a custom domain sees each client's own address, and
// the cloud's per-IP rule (WAF) counts by it. The front door is a proxy, so
// a region's gateway would see the front door's address for every client
// and count them all as one. So the front door dials each region from the
// client's own loopback address: local clients use distinct addresses of
// 127.0.0.0/8 (a test's flood from 127.0.0.2, a reader from 127.0.0.3),
// and the gateway behind tells them apart as AWS would.

// clientAddrKey carries a request's client address to the transport.
type clientAddrKey struct{}

// withClientAddr returns ctx carrying the address of remoteAddr, the
// RemoteAddr of the request the front door received.
func withClientAddr(ctx context.Context, remoteAddr string) context.Context {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return ctx
	}
	return context.WithValue(ctx, clientAddrKey{}, host)
}

// perClientTransport sends each request over a transport of its own client
// address (one per address, so pooled connections never carry another
// client's requests); a client not on loopback, where this machine cannot
// take its address, goes from the default one.
type perClientTransport struct {
	dialTimeout time.Duration
	mu          sync.Mutex
	byAddr      map[string]*http.Transport
}

func (p *perClientTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	addr, _ := req.Context().Value(clientAddrKey{}).(string)
	return p.transport(addr).RoundTrip(req)
}

func (p *perClientTransport) transport(addr string) *http.Transport {
	ip := net.ParseIP(addr)
	if ip == nil || !ip.IsLoopback() {
		addr = ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.byAddr[addr]; ok {
		return t
	}
	d := &net.Dialer{Timeout: p.dialTimeout}
	if addr != "" {
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	// A region's gateway is on this machine: a refused connection is a
	// stopped gateway, and should fail at once.
	t := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16, Proxy: nil}
	if p.byAddr == nil {
		p.byAddr = map[string]*http.Transport{}
	}
	p.byAddr[addr] = t
	return t
}

// CloseIdleConnections closes the idle connections of every transport.
func (p *perClientTransport) CloseIdleConnections() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.byAddr {
		t.CloseIdleConnections()
	}
}
