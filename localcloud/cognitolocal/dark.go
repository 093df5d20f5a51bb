package cognitolocal

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// guardServer serves a server's guard on its advertised port and can go
// dark: its listener closes, so clients find the port refusing
// connections, as they would find the endpoint of a region that is lost,
// and it listens on the same port again when light returns. The process
// behind keeps running and keeps its data.
type guardServer struct {
	name    string
	addr    string
	handler http.Handler

	mu  sync.Mutex
	srv *http.Server // nil while dark or closed
}

func (g *guardServer) serve(l net.Listener) {
	srv := &http.Server{Handler: g.handler, ReadHeaderTimeout: 10 * time.Second}
	g.mu.Lock()
	g.srv = srv
	g.mu.Unlock()
	go func() { _ = srv.Serve(l) }() // close or setDark ends it
}

// setDark closes the listener and every connection (dark) or listens again
// (light). Either on a server already so does nothing.
func (g *guardServer) setDark(dark bool) error {
	g.mu.Lock()
	srv := g.srv
	if dark {
		g.srv = nil
	}
	g.mu.Unlock()
	if dark {
		if srv != nil {
			_ = srv.Close() // its error would only say it was closed already
		}
		return nil
	}
	if srv != nil {
		return nil
	}
	l, err := net.Listen("tcp", g.addr)
	if err != nil {
		return fmt.Errorf("%s: listen on %s again: %w", g.name, g.addr, err)
	}
	g.serve(l)
	return nil
}

// dark reports whether the guard is not listening.
func (g *guardServer) dark() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.srv == nil
}

func (g *guardServer) close() { _ = g.setDark(true) }

// Darken stops answering on the advertised port: connections are refused,
// as a region's Cognito is unreachable while the region is lost. The
// server and its data stay. Darkening a dark server does nothing.
func (s *Server) Darken() error { return s.guard.setDark(true) }

// Light answers on the advertised port again, with everything the server
// held. Lighting a server that answers does nothing.
func (s *Server) Light() error { return s.guard.setDark(false) }

// Dark reports whether the server's endpoint is away (Darken).
func (s *Server) Dark() bool { return s.guard.dark() }
