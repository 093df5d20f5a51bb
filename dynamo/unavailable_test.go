package dynamo

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/dynamo/dynamoclient"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/scores"
)

// closedPort returns a port on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// hangingServer accepts connections and never answers.
func hangingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return l.Addr().String()
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name     string
		store    func(t *testing.T) *Store
		deadline time.Duration // of the caller's context; 0 = none
		within   time.Duration
	}{
		{"nothing listens", func(t *testing.T) *Store {
			return NewStore(localClient(t, "http://"+closedPort(t)), "hush")
		}, 0, 2 * time.Second},
		{"server never answers", func(t *testing.T) *Store {
			return NewStore(localClient(t, "http://"+hangingServer(t)), "hush")
		}, 300 * time.Millisecond, 1500 * time.Millisecond},
		{"table missing", func(t *testing.T) *Store {
			return NewStore(dynamotest.Start(t, ConfigureClient, allOps.install), "no-such-table")
		}, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.store(t)
			calls := map[string]func(ctx context.Context) error{
				"Ping": s.Ping,
				"GetMatch": func(ctx context.Context) error {
					_, err := s.GetMatch(ctx, "t", "m")
					return err
				},
				"TournamentMatches": func(ctx context.Context) error {
					_, err := s.TournamentMatches(ctx, "t", scores.PageRequest{})
					return err
				},
				"CreateMatch": func(ctx context.Context) error {
					return s.CreateMatch(ctx, newMatch(t, "t", "m", "Alice", "Bob", "alice", baseTime))
				},
			}
			for name, call := range calls {
				ctx := context.Background()
				if tt.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.deadline)
					defer cancel()
				}
				start := time.Now()
				err := call(ctx)
				took := time.Since(start)
				wantCode(t, name, err, scores.CodeUnavailable)
				if got := scores.ErrorMessage(err); got != "table unavailable" {
					t.Errorf("%s: message %q, want %q", name, got, "table unavailable")
				}
				var se *scores.Error
				if !errors.As(err, &se) || se.Err == nil {
					t.Errorf("%s: the cause is not kept in Err: %#v", name, se)
				}
				if took > tt.within {
					t.Errorf("%s took %v, want under %v", name, took, tt.within)
				}
			}
		})
	}
}

func localClient(t *testing.T, endpoint string) *dynamodb.Client {
	t.Helper()
	c, err := dynamoclient.ForEndpoint(endpoint, dynamotest.Region, ConfigureClient, allOps.install)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
