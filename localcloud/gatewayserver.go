package localcloud

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// gatewayServer serves one region's gateway on its port, and can be stopped
// and started again on the same port, so a drill can take a region's
// gateway away: clients and health checks then find the port refusing
// connections, as they would a region whose API is down.
type gatewayServer struct {
	region   string
	addr     string
	handler  http.Handler
	errorLog *log.Logger
	// failed reports a server that stopped by itself.
	failed func(error)

	mu  sync.Mutex
	srv *http.Server // nil while stopped
}

// serveGateway serves region's gateway on l, which it then owns.
func (s *Stack) serveGateway(region string, h http.Handler, l net.Listener, errorLog *log.Logger) {
	g := &gatewayServer{region: region, addr: l.Addr().String(), handler: h, errorLog: errorLog, failed: s.fail}
	s.gateways = append(s.gateways, g)
	g.serve(l)
}

func (g *gatewayServer) serve(l net.Listener) {
	srv := &http.Server{Handler: g.handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: g.errorLog}
	g.mu.Lock()
	g.srv = srv
	g.mu.Unlock()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.failed(fmt.Errorf("localcloud: the gateway of %s stopped: %w", g.region, err))
		}
	}()
}

// stop closes the listener and every connection at once: a stopped
// gateway does not finish what it was doing. Stopping a stopped gateway
// does nothing.
func (g *gatewayServer) stop() error {
	g.mu.Lock()
	srv := g.srv
	g.srv = nil
	g.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("localcloud: stop the gateway of %s: %w", g.region, err)
	}
	return nil
}

// shutdown stops the gateway gracefully, for Close.
func (g *gatewayServer) shutdown(ctx context.Context) {
	g.mu.Lock()
	srv := g.srv
	g.srv = nil
	g.mu.Unlock()
	if srv != nil && srv.Shutdown(ctx) != nil {
		srv.Close()
	}
}

// start listens on the gateway's port again. Starting a running gateway
// does nothing.
func (g *gatewayServer) start() error {
	g.mu.Lock()
	running := g.srv != nil
	g.mu.Unlock()
	if running {
		return nil
	}
	l, err := net.Listen("tcp", g.addr)
	if err != nil {
		return fmt.Errorf("localcloud: start the gateway of %s again on %s: %w", g.region, g.addr, err)
	}
	g.serve(l)
	return nil
}

// gateway returns region's gateway server.
func (s *Stack) gateway(region string) (*gatewayServer, error) {
	for _, g := range s.gateways {
		if g.region == region {
			return g, nil
		}
	}
	return nil, fmt.Errorf("localcloud: %q is not a region of this stack", region)
}

// StopGateway stops region's gateway, leaving its functions and replica
// alone: connections to its port are refused until StartGateway.
func (s *Stack) StopGateway(ctx context.Context, region string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	g, err := s.gateway(region)
	if err != nil {
		return err
	}
	return g.stop()
}

// StartGateway starts region's gateway again on the same port.
func (s *Stack) StartGateway(ctx context.Context, region string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	g, err := s.gateway(region)
	if err != nil {
		return err
	}
	return g.start()
}
