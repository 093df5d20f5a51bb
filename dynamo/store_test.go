package dynamo

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hush-scores/hush/scores"
)

var (
	alice = scores.Caller{Sub: "sub-alice", Username: "alice"}
	bob   = scores.Caller{Sub: "sub-bob", Username: "bob"}
	admin = scores.Caller{Sub: "sub-root", Username: "root", Groups: []string{"players", scores.AdminGroup}}
	// newAlice took the name alice after the first alice's account was
	// deleted: same username, another sub.
	newAlice = scores.Caller{Sub: "sub-alice-2", Username: "alice"}
)

func TestCreateAndGetMatch(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := ctxT(t)
	m := newMatch(t, "spring-open", "m1", "Alice", "Bob", "alice", baseTime)

	if err := s.CreateMatch(ctx, m); err != nil {
		t.Fatalf("CreateMatch: %v", err)
	}
	got, err := s.GetMatch(ctx, "spring-open", "m1")
	if err != nil {
		t.Fatalf("GetMatch: %v", err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("GetMatch = %+v\nwant        %+v", got, m)
	}

	again := newMatch(t, "spring-open", "m1", "Carol", "Dave", "bob", time.Time{})
	wantCode(t, "second CreateMatch", s.CreateMatch(ctx, again), scores.CodeConflict)
	if got, _ := s.GetMatch(ctx, "spring-open", "m1"); got.Player1 != "Alice" {
		t.Errorf("after a refused create player1 = %q, want %q", got.Player1, "Alice")
	}

	_, err = s.GetMatch(ctx, "spring-open", "nope")
	wantCode(t, "GetMatch of a missing match", err, scores.CodeNotFound)
	_, err = s.GetMatch(ctx, "other", "m1")
	wantCode(t, "GetMatch in another tournament", err, scores.CodeNotFound)
}

func TestMatchWithoutPlayedAt(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := ctxT(t)
	m := newMatch(t, "t", "m1", "Alice", "Bob", "alice", time.Time{})
	if err := s.CreateMatch(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetMatch(ctx, "t", "m1")
	if err != nil {
		t.Fatal(err)
	}
	if got.PlayedAt != nil || !got.RecordedAt.Equal(m.RecordedAt) {
		t.Errorf("PlayedAt = %v, RecordedAt = %v; want nil, %v", got.PlayedAt, got.RecordedAt, m.RecordedAt)
	}
}

func TestInvalidIDs(t *testing.T) {
	s, ops := newTestStore(t)
	ctx := ctxT(t)
	for _, id := range []string{"", "a#b", "MATCH#x", "..", "x y"} {
		_, err := s.GetMatch(ctx, "t", id)
		wantCode(t, fmt.Sprintf("GetMatch(%q)", id), err, scores.CodeInvalid)
		_, err = s.TournamentMatches(ctx, id, scores.PageRequest{})
		wantCode(t, fmt.Sprintf("TournamentMatches(%q)", id), err, scores.CodeInvalid)
	}
	if got := ops.reset(); len(got) != 0 {
		t.Errorf("invalid IDs reached DynamoDB: %v", got)
	}
}

func TestPutMatch(t *testing.T) {
	tests := []struct {
		name       string
		existingBy string // "" = no match stored yet
		caller     scores.Caller
		wantCode   scores.Code
		wantOwner  string
	}{
		{"new match", "", bob, "", "bob"},
		{"admin creates", "", admin, "", "root"},
		{"owner replaces", "alice", alice, "", "alice"},
		{"other user refused", "alice", bob, scores.CodeForbidden, "alice"},
		{"admin overrides", "alice", admin, "", "root"},
		{"same username, another sub refused", "alice", newAlice, scores.CodeForbidden, "alice"},
		{"no sub refused", "alice", scores.Caller{Username: "alice"}, scores.CodeForbidden, "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			ctx := ctxT(t)
			if tt.existingBy != "" {
				if err := s.CreateMatch(ctx, newMatch(t, "t", "m1", "Alice", "Bob", tt.existingBy, baseTime)); err != nil {
					t.Fatal(err)
				}
			}
			m := newMatch(t, "t", "m1", "Alice", "Carol", tt.caller.Username, baseTime)
			m.Owner = tt.caller.Sub
			err := s.PutMatch(ctx, m, tt.caller)
			if got := scores.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("PutMatch: got code %q (%v), want %q", got, err, tt.wantCode)
			}
			got, err := s.GetMatch(ctx, "t", "m1")
			if err != nil {
				t.Fatal(err)
			}
			if got.RecordedBy != tt.wantOwner {
				t.Errorf("owner = %q, want %q", got.RecordedBy, tt.wantOwner)
			}
			wantP2 := "Carol"
			if tt.wantCode != "" {
				wantP2 = "Bob"
			}
			if got.Player2 != wantP2 {
				t.Errorf("player2 = %q, want %q", got.Player2, wantP2)
			}
		})
	}
}

func TestDeleteMatch(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := ctxT(t)
	for _, id := range []string{"m1", "m2"} {
		if err := s.CreateMatch(ctx, newMatch(t, "t", id, "Alice", "Bob", "alice", baseTime)); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "delete by another user", s.DeleteMatch(ctx, "t", "m1", bob), scores.CodeForbidden)
	wantCode(t, "delete by a new user of the same name", s.DeleteMatch(ctx, "t", "m1", newAlice), scores.CodeForbidden)
	wantCode(t, "delete by a caller without a sub", s.DeleteMatch(ctx, "t", "m1", scores.Caller{Username: "alice"}), scores.CodeForbidden)
	if _, err := s.GetMatch(ctx, "t", "m1"); err != nil {
		t.Fatalf("match gone after a refused delete: %v", err)
	}
	if err := s.DeleteMatch(ctx, "t", "m1", alice); err != nil {
		t.Fatalf("delete by owner: %v", err)
	}
	_, err := s.GetMatch(ctx, "t", "m1")
	wantCode(t, "GetMatch after delete", err, scores.CodeNotFound)
	wantCode(t, "second delete", s.DeleteMatch(ctx, "t", "m1", alice), scores.CodeNotFound)
	wantCode(t, "admin deletes a missing match", s.DeleteMatch(ctx, "t", "zz", admin), scores.CodeNotFound)
	if err := s.DeleteMatch(ctx, "t", "m2", admin); err != nil {
		t.Fatalf("delete by admin: %v", err)
	}

	// The player links went with the matches.
	for _, p := range []string{"alice", "bob"} {
		page, err := s.PlayerMatches(ctx, p, scores.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Matches) != 0 {
			t.Errorf("history of %s after deletes = %v, want empty", p, matchIDs(page.Matches))
		}
	}
	all, err := s.AllTournamentMatches(ctx, "t")
	if err != nil || len(all) != 0 {
		t.Errorf("AllTournamentMatches after deletes = %v, %v; want empty", all, err)
	}
}

func TestTournamentMatchesPagination(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := ctxT(t)
	// Created out of order: pages come ordered by match ID.
	for _, id := range []string{"m05", "m01", "m07", "m03", "m02", "m06", "m04"} {
		if err := s.CreateMatch(ctx, newMatch(t, "t1", id, "Alice", "Bob", "alice", baseTime)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateMatch(ctx, newMatch(t, "t2", "m00", "Alice", "Bob", "alice", baseTime)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		limit int
		want  [][]string
	}{
		{"limit 3", 3, [][]string{{"m01", "m02", "m03"}, {"m04", "m05", "m06"}, {"m07"}}},
		{"limit divides the total", 7, [][]string{{"m01", "m02", "m03", "m04", "m05", "m06", "m07"}}},
		{"limit 1", 1, [][]string{{"m01"}, {"m02"}, {"m03"}, {"m04"}, {"m05"}, {"m06"}, {"m07"}}},
		{"default limit", 0, [][]string{{"m01", "m02", "m03", "m04", "m05", "m06", "m07"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]string
			cursor := ""
			for range 10 {
				page, err := s.TournamentMatches(ctx, "t1", scores.PageRequest{Limit: tt.limit, Cursor: cursor})
				if err != nil {
					t.Fatalf("page %d: %v", len(got)+1, err)
				}
				got = append(got, matchIDs(page.Matches))
				if cursor = page.Cursor; cursor == "" {
					break
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pages = %v, want %v", got, tt.want)
			}
		})
	}

	page, err := s.TournamentMatches(ctx, "empty", scores.PageRequest{Limit: 10})
	if err != nil || len(page.Matches) != 0 || page.Cursor != "" {
		t.Errorf("empty tournament: %v, cursor %q, %v; want no matches and no cursor", matchIDs(page.Matches), page.Cursor, err)
	}
}

func TestAllTournamentMatches(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := ctxT(t)
	var want []string
	for i := range 12 {
		id := fmt.Sprintf("m%02d", i)
		want = append(want, id)
		if err := s.CreateMatch(ctx, newMatch(t, "t1", id, "Alice", "Bob", "alice", baseTime)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateMatch(ctx, newMatch(t, "t2", "x", "Alice", "Bob", "alice", baseTime)); err != nil {
		t.Fatal(err)
	}
	all, err := s.AllTournamentMatches(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if got := matchIDs(all); !reflect.DeepEqual(got, want) {
		t.Errorf("AllTournamentMatches = %v, want %v", got, want)
	}
	none, err := s.AllTournamentMatches(ctx, "nothing")
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("AllTournamentMatches of an empty tournament = %#v, %v; want an empty slice", none, err)
	}
}

func TestPlayerMatches(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := ctxT(t)
	day := func(d int) time.Time { return baseTime.AddDate(0, 0, d) }
	matches := []scores.Match{
		newMatch(t, "spring", "s1", "Alice", "Bob", "alice", day(1)),
		newMatch(t, "summer", "u1", "Carol", "alice", "carol", day(30)),
		newMatch(t, "spring", "s2", "Bob", "Carol", "bob", day(2)),
		newMatch(t, "autumn", "a1", "ALICE", "Dave", "dave", day(60)),
		newMatch(t, "spring", "s3", "Alice", "Dave", "alice", time.Time{}), // recorded_at: baseTime + 2ms
	}
	for _, m := range matches {
		if err := s.CreateMatch(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	pages := func(player string, limit int) [][]string {
		t.Helper()
		var got [][]string
		cursor := ""
		for range 10 {
			page, err := s.PlayerMatches(ctx, player, scores.PageRequest{Limit: limit, Cursor: cursor})
			if err != nil {
				t.Fatalf("PlayerMatches(%q): %v", player, err)
			}
			got = append(got, matchIDs(page.Matches))
			if cursor = page.Cursor; cursor == "" {
				break
			}
		}
		return got
	}

	if got, want := pages(" alice ", 2), [][]string{{"a1", "u1"}, {"s1", "s3"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("alice's history = %v, want %v (newest first, across tournaments, any case)", got, want)
	}
	if got, want := pages("Bob", 0), [][]string{{"s2", "s1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("bob's history = %v, want %v", got, want)
	}

	// A PUT that replaces Bob by Erin moves the match from his history to hers.
	changed := newMatch(t, "spring", "s1", "Alice", "Erin", "alice", day(1))
	if err := s.PutMatch(ctx, changed, alice); err != nil {
		t.Fatal(err)
	}
	if got, want := pages("bob", 0), [][]string{{"s2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("bob's history after the PUT = %v, want %v", got, want)
	}
	if got, want := pages("erin", 0), [][]string{{"s1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("erin's history after the PUT = %v, want %v", got, want)
	}
	page, err := s.PlayerMatches(ctx, "erin", scores.PageRequest{})
	if err != nil || len(page.Matches) != 1 || page.Matches[0].Player2 != "Erin" {
		t.Errorf("erin's match = %+v, %v; want the replaced match", page.Matches, err)
	}
	if got, want := pages("nobody", 5), [][]string{{}}; !reflect.DeepEqual(got, want) {
		t.Errorf("unknown player's history = %v, want %v", got, want)
	}
}

// TestSamePlayerTwice covers a match that bypassed the domain's check that
// the players differ: it shows once in that player's history.
func TestSamePlayerTwice(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := ctxT(t)
	m := newMatch(t, "t", "m1", "Alice", "Bob", "alice", baseTime)
	if err := s.CreateMatch(ctx, m); err != nil {
		t.Fatal(err)
	}
	m.Player2 = "ALICE"
	if err := s.PutMatch(ctx, m, alice); err != nil {
		t.Fatal(err)
	}
	for player, want := range map[string][]string{"alice": {"m1"}, "bob": {}} {
		page, err := s.PlayerMatches(ctx, player, scores.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got := matchIDs(page.Matches); !slices.Equal(got, want) {
			t.Errorf("history of %s = %v, want %v", player, got, want)
		}
	}
}

func TestPing(t *testing.T) {
	s, _ := newTestStore(t)
	if err := s.Ping(ctxT(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func matchIDs(ms []scores.Match) []string {
	ids := []string{}
	for _, m := range ms {
		ids = append(ids, m.MatchID)
	}
	return ids
}

// TestLegacyMatchWithoutOwner checks what happens to a match stored before
// owners existed (recorded_by only): its recorded_by names a username,
// which may belong to someone else by now, so only an admin may replace or
// delete it, and the admin's replace gives it an owner.
func TestLegacyMatchWithoutOwner(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := ctxT(t)
	legacy := newMatch(t, "t", "m1", "Alice", "Bob", "alice", baseTime)
	legacy.Owner = ""
	tx, err := s.writeOps(legacy, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.transact(ctx, tx); err != nil {
		t.Fatalf("store a legacy match: %v", err)
	}
	changed := newMatch(t, "t", "m1", "Alice", "Carol", "alice", baseTime)
	wantCode(t, "replace by the user of its recorded_by", s.PutMatch(ctx, changed, alice), scores.CodeForbidden)
	wantCode(t, "delete by the user of its recorded_by", s.DeleteMatch(ctx, "t", "m1", alice), scores.CodeForbidden)

	byAdmin := newMatch(t, "t", "m1", "Alice", "Carol", "root", baseTime)
	if err := s.PutMatch(ctx, byAdmin, admin); err != nil {
		t.Fatalf("replace by an admin: %v", err)
	}
	got, err := s.GetMatch(ctx, "t", "m1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Owner != admin.Sub || got.RecordedBy != "root" {
		t.Errorf("after the admin's replace owner, recorded_by = %q, %q; want %q, %q", got.Owner, got.RecordedBy, admin.Sub, "root")
	}
}
