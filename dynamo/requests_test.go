package dynamo

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hush-scores/hush/scores"
)

// TestReadsMakeOneRequest counts operations with SDK middleware: every read
// the API serves is one GetItem or one Query (standings included, however
// many matches); a create is one transaction, a replace or delete a read of
// the match and one transaction, a refused one the read alone. TestMain
// checks that no test anywhere issued a Scan.
func TestReadsMakeOneRequest(t *testing.T) {
	s, ops := newTestStore(t)
	ctx := ctxT(t)
	for _, id := range []string{"m1", "m2", "m3"} {
		if err := s.CreateMatch(ctx, newMatch(t, "t", id, "Alice", "Bob", "alice", baseTime)); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.TournamentMatches(ctx, "t", scores.PageRequest{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := s.PlayerMatches(ctx, "alice", scores.PageRequest{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	ops.reset()

	tests := []struct {
		name string
		call func(context.Context) error
		want []string
	}{
		{"GetMatch", func(ctx context.Context) error { _, err := s.GetMatch(ctx, "t", "m1"); return err }, []string{"GetItem"}},
		{"GetMatch missing", func(ctx context.Context) error {
			_, err := s.GetMatch(ctx, "t", "zz")
			if scores.ErrorCode(err) == scores.CodeNotFound {
				return nil
			}
			return err
		}, []string{"GetItem"}},
		{"TournamentMatches", func(ctx context.Context) error {
			_, err := s.TournamentMatches(ctx, "t", scores.PageRequest{Limit: 2})
			return err
		}, []string{"Query"}},
		{"TournamentMatches next page", func(ctx context.Context) error {
			_, err := s.TournamentMatches(ctx, "t", scores.PageRequest{Limit: 2, Cursor: first.Cursor})
			return err
		}, []string{"Query"}},
		{"PlayerMatches", func(ctx context.Context) error {
			_, err := s.PlayerMatches(ctx, "alice", scores.PageRequest{Limit: 2})
			return err
		}, []string{"Query"}},
		{"PlayerMatches next page", func(ctx context.Context) error {
			_, err := s.PlayerMatches(ctx, "alice", scores.PageRequest{Limit: 2, Cursor: hist.Cursor})
			return err
		}, []string{"Query"}},
		{"Standings", func(ctx context.Context) error { _, err := s.Standings(ctx, "t"); return err }, []string{"Query"}},
		{"AllTournamentMatches", func(ctx context.Context) error { _, err := s.AllTournamentMatches(ctx, "t"); return err }, []string{"Query"}},
		{"Ping", s.Ping, []string{"GetItem"}},
		{"CreateMatch", func(ctx context.Context) error {
			return s.CreateMatch(ctx, newMatch(t, "t", "m9", "Alice", "Bob", "alice", baseTime))
		}, []string{"TransactWriteItems"}},
		{"PutMatch replaces", func(ctx context.Context) error {
			return s.PutMatch(ctx, newMatch(t, "t", "m9", "Alice", "Carol", "alice", baseTime), alice)
		}, []string{"GetItem", "TransactWriteItems"}},
		{"PutMatch refused", func(ctx context.Context) error {
			err := s.PutMatch(ctx, newMatch(t, "t", "m9", "Bob", "Carol", "bob", baseTime), bob)
			if scores.ErrorCode(err) == scores.CodeForbidden {
				return nil
			}
			return err
		}, []string{"GetItem"}},
		{"DeleteMatch", func(ctx context.Context) error { return s.DeleteMatch(ctx, "t", "m9", alice) }, []string{"GetItem", "TransactWriteItems"}},
		{"DeleteMatch missing", func(ctx context.Context) error {
			err := s.DeleteMatch(ctx, "t", "m9", alice)
			if scores.ErrorCode(err) == scores.CodeNotFound {
				return nil
			}
			return err
		}, []string{"GetItem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops.reset()
			if err := tt.call(ctx); err != nil {
				t.Fatal(err)
			}
			if got := ops.reset(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("operations = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestConcurrentCreate races 50 creates of one match: exactly one wins.
func TestConcurrentCreate(t *testing.T) {
	s, _ := newTestStore(t, patient)
	// Every write now also updates standing items that all of them
	// share, and DynamoDB Local queues such transactions one by one: on two
	// busy cores that takes longer than ctxT allows.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.CreateMatch(ctx, newMatch(t, "t", "final", "Alice", "Bob", "alice", baseTime))
		})
	}
	close(start)
	wg.Wait()
	codes := map[scores.Code]int{}
	for _, err := range errs {
		codes[scores.ErrorCode(err)]++
	}
	if want := map[scores.Code]int{"": 1, scores.CodeConflict: n - 1}; !reflect.DeepEqual(codes, want) {
		t.Errorf("outcomes = %v, want %v (first error: %v)", codes, want, firstErr(errs))
		for _, err := range errs {
			if scores.ErrorCode(err) != scores.CodeConflict && err != nil {
				t.Log(err)
			}
		}
	}
}

// TestConcurrentPut races PUTs of two users. On a new match exactly one
// becomes the owner and the other is refused; on an owned match the other
// user never takes it, however the writes interleave.
func TestConcurrentPut(t *testing.T) {
	s, _ := newTestStore(t, patient)
	// Every write now also updates standing items that all of them
	// share, and DynamoDB Local queues such transactions one by one: on two
	// busy cores that takes longer than ctxT allows.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	users := []scores.Caller{alice, bob}

	for round := range 10 {
		id := "new-" + string(rune('a'+round))
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, u := range users {
			wg.Go(func() {
				<-start
				errs[i] = s.PutMatch(ctx, newMatch(t, "t", id, "Alice", "Bob", u.Username, baseTime), u)
			})
		}
		close(start)
		wg.Wait()
		got, err := s.GetMatch(ctx, "t", id)
		if err != nil {
			t.Fatal(err)
		}
		for i, u := range users {
			owner := got.RecordedBy == u.Username
			if owner && errs[i] != nil || !owner && scores.ErrorCode(errs[i]) != scores.CodeForbidden {
				t.Errorf("round %d: owner %s; %s got %v", round, got.RecordedBy, u.Username, errs[i])
			}
		}
	}

	if err := s.CreateMatch(ctx, newMatch(t, "t", "owned", "Alice", "Bob", "alice", baseTime)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	bobErrs := make([]error, 20)
	for i := range 20 {
		wg.Go(func() {
			bobErrs[i] = s.PutMatch(ctx, newMatch(t, "t", "owned", "Bob", "Carol", "bob", baseTime), bob)
		})
		wg.Go(func() {
			if err := s.PutMatch(ctx, newMatch(t, "t", "owned", "Alice", "Dave", "alice", baseTime), alice); err != nil {
				t.Errorf("owner's PUT: %v", err)
			}
		})
	}
	wg.Wait()
	for _, err := range bobErrs {
		if scores.ErrorCode(err) != scores.CodeForbidden {
			t.Errorf("bob's PUT of alice's match: %v, want forbidden", err)
		}
	}
	got, err := s.GetMatch(ctx, "t", "owned")
	if err != nil || got.RecordedBy != "alice" || got.Player2 != "Dave" {
		t.Errorf("after the race: %+v, %v; want alice's match with Dave", got, err)
	}
}

func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
