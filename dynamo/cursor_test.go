package dynamo

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/hush-scores/hush/scores"
)

func rawCursor(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }

func TestCursorTampering(t *testing.T) {
	s, ops := newTestStore(t)
	ctx := ctxT(t)
	for _, id := range []string{"m1", "m2", "m3"} {
		for _, tid := range []string{"t1", "t2"} {
			if err := s.CreateMatch(ctx, newMatch(t, tid, id, "Alice", "Bob", "alice", baseTime)); err != nil {
				t.Fatal(err)
			}
		}
	}
	t1Page, err := s.TournamentMatches(ctx, "t1", scores.PageRequest{Limit: 1})
	if err != nil || t1Page.Cursor == "" {
		t.Fatalf("first page of t1: %v, cursor %q", err, t1Page.Cursor)
	}
	alicePage, err := s.PlayerMatches(ctx, "alice", scores.PageRequest{Limit: 1})
	if err != nil || alicePage.Cursor == "" {
		t.Fatalf("first page of alice: %v, cursor %q", err, alicePage.Cursor)
	}
	fpT1 := fingerprint(tournamentPK("t1"))
	fpAlice := fingerprint(playerPK("alice"))
	ops.reset()

	tournament := []struct{ name, tid, cursor string }{
		{"another tournament's cursor", "t2", t1Page.Cursor},
		{"a player cursor", "t1", alicePage.Cursor},
		{"garbage", "t1", "not a cursor!"},
		{"base64 of garbage", "t1", rawCursor("{{{")},
		{"standard base64 padding", "t1", base64.URLEncoding.EncodeToString([]byte(`{"p":"` + fpT1 + `","s":"MATCH#m1"}`))},
		{"link item SK", "t1", rawCursor(`{"p":"` + fpT1 + `","s":"PLAYER#1#m1"}`)},
		{"SK with a hash inside", "t1", rawCursor(`{"p":"` + fpT1 + `","s":"MATCH#m1#x"}`)},
		{"empty match ID", "t1", rawCursor(`{"p":"` + fpT1 + `","s":"MATCH#"}`)},
		{"another partition key", "t1", rawCursor(`{"p":"` + fpT1 + `","k":"TOURNAMENT#t2","s":"MATCH#m1"}`)},
		{"unknown field", "t1", rawCursor(`{"p":"` + fpT1 + `","s":"MATCH#m1","PK":"TOURNAMENT#t2"}`)},
		{"trailing data", "t1", rawCursor(`{"p":"` + fpT1 + `","s":"MATCH#m1"}{}`)},
		{"too long", "t1", strings.Repeat("A", maxCursorLength+1)},
	}
	for _, tt := range tournament {
		t.Run("tournament/"+tt.name, func(t *testing.T) {
			_, err := s.TournamentMatches(ctx, tt.tid, scores.PageRequest{Limit: 5, Cursor: tt.cursor})
			wantCode(t, "TournamentMatches", err, scores.CodeInvalid)
			if got := scores.ErrorMessage(err); got != "invalid cursor" {
				t.Errorf("message = %q, want %q", got, "invalid cursor")
			}
		})
	}

	goodG := baseTime.Format(sortTimeLayout) + "#t1#m1"
	player := []struct{ name, player, cursor string }{
		{"another player's cursor", "bob", alicePage.Cursor},
		{"a tournament cursor", "alice", t1Page.Cursor},
		{"garbage", "alice", "%%%"},
		{"match item SK", "alice", rawCursor(`{"p":"` + fpAlice + `","g":"` + goodG + `","k":"TOURNAMENT#t1","s":"MATCH#m1"}`)},
		{"IDs disagree", "alice", rawCursor(`{"p":"` + fpAlice + `","g":"` + goodG + `","k":"TOURNAMENT#t2","s":"PLAYER#1#m1"}`)},
		{"bad slot", "alice", rawCursor(`{"p":"` + fpAlice + `","g":"` + goodG + `","k":"TOURNAMENT#t1","s":"PLAYER#3#m1"}`)},
		{"bad time", "alice", rawCursor(`{"p":"` + fpAlice + `","g":"yesterday#t1#m1","k":"TOURNAMENT#t1","s":"PLAYER#1#m1"}`)},
		{"missing keys", "alice", rawCursor(`{"p":"` + fpAlice + `","s":"PLAYER#1#m1"}`)},
	}
	for _, tt := range player {
		t.Run("player/"+tt.name, func(t *testing.T) {
			_, err := s.PlayerMatches(ctx, tt.player, scores.PageRequest{Limit: 5, Cursor: tt.cursor})
			wantCode(t, "PlayerMatches", err, scores.CodeInvalid)
		})
	}
	if got := ops.reset(); len(got) != 0 {
		t.Errorf("refused cursors reached DynamoDB: %v", got)
	}

	// The hand-made player cursor that is consistent is accepted: the
	// checks above fail for the reason named, not for the format.
	good := rawCursor(`{"p":"` + fpAlice + `","g":"` + goodG + `","k":"TOURNAMENT#t1","s":"PLAYER#1#m1"}`)
	if _, err := s.PlayerMatches(ctx, "alice", scores.PageRequest{Limit: 5, Cursor: good}); err != nil {
		t.Errorf("consistent hand-made cursor: %v", err)
	}
}

func TestSortTimeIsFixedWidth(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 100, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.FixedZone("CET", 3600)),
	}
	for _, tm := range times {
		got := tm.UTC().Format(sortTimeLayout)
		if len(got) != len(sortTimeLayout) {
			t.Errorf("Format(%v) = %q, want %d characters", tm, got, len(sortTimeLayout))
		}
	}
	a := playerSK(scores.Match{RecordedAt: times[0], TournamentID: "t", MatchID: "m"})
	b := playerSK(scores.Match{RecordedAt: times[1], TournamentID: "t", MatchID: "m"})
	if !(a < b) {
		t.Errorf("playerSK: %q sorts after %q, want before", a, b)
	}
}

// FuzzDecodeCursor proves that no input makes the cursor decoders panic, and
// that whatever they accept stays in the partition of the request.
func FuzzDecodeCursor(f *testing.F) {
	g := baseTime.Format(sortTimeLayout) + "#t1#m1"
	f.Add("t1", "alice", tournamentCursor("t1", "MATCH#m1"))
	f.Add("t2", "alice", tournamentCursor("t1", "MATCH#m1"))
	f.Add("t1", "alice", playerCursor("alice", g, "TOURNAMENT#t1", "PLAYER#2#m1"))
	f.Add("t1", "Bob", playerCursor("alice", g, "TOURNAMENT#t1", "PLAYER#2#m1"))
	f.Add("t1", "alice", "")
	f.Add("t1", "alice", "%%%")
	f.Add("t1", "alice", rawCursor(`{"p":"x","s":"MATCH#m1"}`))
	f.Add("t1", "alice", rawCursor(`{"p":"`+fingerprint(tournamentPK("t1"))+`","s":"MATCH#a#b"}`))
	f.Add("a#b", "a#b", rawCursor(`null`))
	f.Fuzz(func(t *testing.T, tournamentID, player, cursor string) {
		if key, err := decodeTournamentCursor(tournamentID, cursor); err != nil {
			if scores.ErrorCode(err) != scores.CodeInvalid {
				t.Fatalf("tournament cursor error %v is not CodeInvalid", err)
			}
		} else {
			if len(key) != 2 || stringAttr(key, AttrPK) != tournamentPK(tournamentID) {
				t.Fatalf("tournament cursor %q for %q gave key %v outside the partition", cursor, tournamentID, key)
			}
			if _, ok := parseMatchSK(stringAttr(key, AttrSK)); !ok {
				t.Fatalf("tournament cursor %q gave SK %q that is no match", cursor, stringAttr(key, AttrSK))
			}
		}
		if key, err := decodePlayerCursor(player, cursor); err != nil {
			if scores.ErrorCode(err) != scores.CodeInvalid {
				t.Fatalf("player cursor error %v is not CodeInvalid", err)
			}
		} else {
			if len(key) != 4 || stringAttr(key, AttrGSI1PK) != playerPK(player) {
				t.Fatalf("player cursor %q for %q gave key %v outside the partition", cursor, player, key)
			}
			tid, ok1 := parseTournamentPK(stringAttr(key, AttrPK))
			mid, ok2 := parsePlayerLinkSK(stringAttr(key, AttrSK))
			_, gt, gm, ok3 := parsePlayerSK(stringAttr(key, AttrGSI1SK))
			if !ok1 || !ok2 || !ok3 || gt != tid || gm != mid {
				t.Fatalf("player cursor %q gave an inconsistent key %v", cursor, key)
			}
		}
	})
}
