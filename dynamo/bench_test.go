package dynamo

import (
	"fmt"
	"testing"

	"github.com/hush-scores/hush/scores"
)

// The benchmarks measure the store against DynamoDB Local, HTTP included:
//
//	go test ./dynamo -bench . -run XXX -benchmem

func BenchmarkGetMatch(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := ctxT(b)
	if err := s.CreateMatch(ctx, newMatch(b, "t", "m1", "Alice", "Bob", "alice", baseTime)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.GetMatch(ctx, "t", "m1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTournamentMatches20(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := ctxT(b)
	for i := range 20 {
		if err := s.CreateMatch(ctx, newMatch(b, "t", fmt.Sprintf("m%02d", i), "Alice", "Bob", "alice", baseTime)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		page, err := s.TournamentMatches(ctx, "t", scores.PageRequest{Limit: 20})
		if err != nil || len(page.Matches) != 20 {
			b.Fatalf("got %d matches, %v; want 20", len(page.Matches), err)
		}
	}
}
