package dynamo

import (
	"strings"
	"time"

	"github.com/hush-scores/hush/scores"
)

// This file is the only place that knows the key prefixes of the table:
//
//	match        PK = TOURNAMENT#{tournamentId}  SK = MATCH#{matchId}
//	player link  PK = TOURNAMENT#{tournamentId}  SK = PLAYER#{1|2}#{matchId}
//	             GSI1PK = PLAYER#{PlayerKey(name)}
//	             GSI1SK = {time, fixed width UTC}#{tournamentId}#{matchId}
//	standing     PK = STANDINGS#{tournamentId}   SK = STANDING#{PlayerKey(name)}
//	health       PK = HEALTH                     SK = HEALTH
//	write region PK = WRITEREGION                SK = VIEW#{region}
//
// A tournament's partition holds its matches and their player links, each
// kind under its own SK prefix, so one Query with begins_with reads one kind
// only. Its standings, one item per player, have a partition of their own:
// reading them is a Query of the whole partition, whose work follows the
// number of players and not the thousands of match and link items beside
// them (DynamoDB Local, unlike DynamoDB, searches the whole partition for a
// begins_with; there, a 3,000-match tournament's standings took 2.8 times as
// long as a 20-match one's). The spectators' most polled read also lands
// on another partition than the tournament's writes. A standing's SK is
// never parsed back, so a name with '#' is harmless there.
//
// The write region is one small partition of views, one per replica, each
// written only in its own region's replica (package writeregion says why);
// a function reads the whole partition with one Query. Region names hold no
// '#'.
//
// Until 2026-11-29 standing items lived in the tournament's partition under
// the same SK; RepairStandings deletes such lines and writes the recomputed
// ones in their own partition.
//
// IDs are limited to letters, digits, '.', '_' and '-' (scores.ValidID), so
// an ID can never contain '#' and every key splits back unambiguously.
const (
	prefixTournament = "TOURNAMENT#"
	prefixMatch      = "MATCH#"
	prefixPlayerLink = "PLAYER#"
	prefixPlayer     = "PLAYER#"
	prefixStandings  = "STANDINGS#"
	prefixStanding   = "STANDING#"
	keySep           = "#"
	healthKey        = "HEALTH"
	writeRegionPK    = "WRITEREGION"
	prefixView       = "VIEW#"
)

// sortTimeLayout is RFC 3339 in UTC with exactly nine fractional digits, so
// the strings of every time between years 0 and 9999 sort like the times.
// RFC3339Nano trims trailing zeros and would not.
const sortTimeLayout = "2006-01-02T15:04:05.000000000Z"

// The two player slots of a match; each has its link item.
var playerSlots = [2]string{"1", "2"}

func tournamentPK(tournamentID string) string { return prefixTournament + tournamentID }

func matchSK(matchID string) string { return prefixMatch + matchID }

func playerLinkSK(slot, matchID string) string {
	return prefixPlayerLink + slot + keySep + matchID
}

func standingsPK(tournamentID string) string { return prefixStandings + tournamentID }

// standingSK keys a player's line by the key that tells players apart, so
// every spelling of a name updates the same item.
func standingSK(playerKey string) string { return prefixStanding + playerKey }

// viewSK keys the write-region view of the replica of region.
func viewSK(region string) string { return prefixView + region }

func playerPK(name string) string { return prefixPlayer + scores.PlayerKey(name) }

// playerSK orders a player's matches by when they were played, or recorded
// when the time of play is unknown; the IDs break ties and keep keys unique.
func playerSK(m scores.Match) string {
	t := m.RecordedAt
	if m.PlayedAt != nil {
		t = *m.PlayedAt
	}
	return t.UTC().Format(sortTimeLayout) + keySep + m.TournamentID + keySep + m.MatchID
}

// parseTournamentPK returns the tournament ID of a match or link item's PK.
func parseTournamentPK(pk string) (string, bool) {
	id, ok := strings.CutPrefix(pk, prefixTournament)
	return id, ok && scores.ValidID(id)
}

// parseMatchSK returns the match ID of a match item's SK.
func parseMatchSK(sk string) (string, bool) {
	id, ok := strings.CutPrefix(sk, prefixMatch)
	return id, ok && scores.ValidID(id)
}

// parsePlayerLinkSK returns the match ID of a link item's SK.
func parsePlayerLinkSK(sk string) (string, bool) {
	rest, ok := strings.CutPrefix(sk, prefixPlayerLink)
	if !ok {
		return "", false
	}
	slot, id, ok := strings.Cut(rest, keySep)
	if !ok || (slot != playerSlots[0] && slot != playerSlots[1]) {
		return "", false
	}
	return id, scores.ValidID(id)
}

// parsePlayerSK splits a GSI1SK into its time and IDs.
func parsePlayerSK(sk string) (t time.Time, tournamentID, matchID string, ok bool) {
	parts := strings.Split(sk, keySep)
	if len(parts) != 3 || len(parts[0]) != len(sortTimeLayout) {
		return time.Time{}, "", "", false
	}
	t, err := time.Parse(sortTimeLayout, parts[0])
	if err != nil || !scores.ValidID(parts[1]) || !scores.ValidID(parts[2]) {
		return time.Time{}, "", "", false
	}
	return t, parts[1], parts[2], true
}
