package api

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hush-scores/hush/scores"
)

// Pagination bounds of the list endpoints.
const (
	DefaultLimit   = 50
	MaxLimit       = 100
	maxCursorBytes = 2048
)

// healthTimeout bounds the health read so a load balancer or Route 53 health
// check gets an answer before it gives up on its own.
const healthTimeout = 2 * time.Second

// ResultsBody is the answer of GET /v1/tournament/{tournamentId}/results.
type ResultsBody struct {
	Results []scores.Match `json:"results"`
	Cursor  string         `json:"cursor,omitempty"`
}

// PlayerMatchesBody is the answer of GET /v1/player/{player}/matches.
type PlayerMatchesBody struct {
	Player  string         `json:"player"`
	Matches []scores.Match `json:"matches"`
	Cursor  string         `json:"cursor,omitempty"`
}

// StandingsBody is the answer of GET /v1/tournament/{tournamentId}/standings.
type StandingsBody struct {
	TournamentID string            `json:"tournament_id"`
	Standings    []scores.Standing `json:"standings"`
}

// HealthBody is the answer of GET /v1/health. Status is this region's own
// state, what Route 53 routes by; WritePath says whether the write region's
// replica answers, and never changes Status, so that an outage of the write
// region cannot pull every region out of DNS at once. WriteRegion, Epoch
// and WriteState are this region's belief, as its own replica holds it
// (package writeregion); WriteRegion is empty when the replica holds no
// belief yet (not seeded) or could not be read.
type HealthBody struct {
	Status      string `json:"status"`
	Region      string `json:"region"`
	WriteRegion string `json:"write_region"`
	Epoch       int64  `json:"epoch,omitempty"`
	WriteState  string `json:"write_state,omitempty"`
	WritePath   string `json:"write_path"`
	Error       string `json:"error,omitempty"`
}

func (s *server) getHello(w http.ResponseWriter, r *http.Request) {
	writeText(w, fmt.Sprintf("Hello from Hush in %s!", s.regionName()))
}

func (s *server) getHelloAuthenticated(w http.ResponseWriter, r *http.Request) {
	caller, _ := CallerFrom(r.Context())
	writeText(w, fmt.Sprintf("Hello %s, from Hush in %s!", caller.Username, s.regionName()))
}

func (s *server) getHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	logger := loggerFrom(r.Context())
	body := HealthBody{Status: "ok", Region: s.region, WritePath: WritePathOK}
	// The belief is read from this region's own replica (cached briefly
	// by its source), so a lost write region cannot keep health from
	// saying where this region believes writes go.
	probe := s.healthBelief(ctx, logger, &body)
	// The write region is probed beside the local read, not after it, so
	// its bound adds nothing to a healthy answer's latency.
	writePath := make(chan string, 1)
	if probe != nil {
		go func() { writePath <- probe.State(ctx, logger) }()
	}
	err := s.store.Ping(ctx)
	if err != nil {
		logger.Error("health: table unavailable", "error", err)
		body.Status, body.Error, body.WritePath = "unavailable", "table unavailable", WritePathUnavailable
	}
	if probe != nil {
		body.WritePath = <-writePath
	}
	if body.WriteRegion == "" {
		// No belief: nowhere to write, whatever the local read says.
		body.WritePath = WritePathUnavailable
	}
	if err != nil {
		writeJSON(w, r, http.StatusServiceUnavailable, body)
		return
	}
	writeJSON(w, r, http.StatusOK, body)
}

// healthBelief fills body's belief and returns the probe of the believed
// write region's replica, or nil when this region's own read answers for
// it (this region is the write region, or there is no belief).
func (s *server) healthBelief(ctx context.Context, logger *slog.Logger, body *HealthBody) *writePath {
	if s.belief == nil {
		body.WriteRegion = cmp.Or(s.writeRegion, s.region)
	} else if b, err := s.belief.Belief(ctx); err != nil {
		logger.Warn("health: no belief of the write region", "error", err)
	} else {
		body.WriteRegion, body.Epoch, body.WriteState = b.WriteRegion, b.Epoch, string(b.State)
	}
	if body.WriteRegion == "" || body.WriteRegion == s.region {
		return nil
	}
	if p, ok := s.writePaths[body.WriteRegion]; ok {
		return p
	}
	// A belief naming a region this function has no probe of is a stack
	// whose regions changed since it was deployed: say so, do not guess.
	logger.Warn("health: no probe of the believed write region", "write_region", body.WriteRegion)
	return unprobed
}

// unprobed answers for a write region no probe reaches.
var unprobed = &writePath{state: WritePathUnavailable, probe: nil}

func (s *server) createMatch(w http.ResponseWriter, r *http.Request) {
	m, err := s.matchFromBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// Every write is bounded: the write region may be an ocean away, or cut
	// off, and the client must get its 503 in time.
	ctx, cancel := context.WithTimeout(r.Context(), s.writeTimeout)
	defer cancel()
	if err := s.store.CreateMatch(ctx, m); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, m)
}

func (s *server) putMatch(w http.ResponseWriter, r *http.Request) {
	m, err := s.matchFromBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	caller, _ := CallerFrom(r.Context())
	ctx, cancel := context.WithTimeout(r.Context(), s.writeTimeout)
	defer cancel()
	if err := s.store.PutMatch(ctx, m, caller); err != nil {
		writeError(w, r, err)
		return
	}
	// The seed answers 200 for both a new and a replaced match.
	writeJSON(w, r, http.StatusOK, m)
}

// matchFromBody decodes and validates the match a write request carries,
// recorded by the caller now.
func (s *server) matchFromBody(w http.ResponseWriter, r *http.Request) (scores.Match, error) {
	in, err := decodeMatchInput(w, r)
	if err != nil {
		return scores.Match{}, err
	}
	caller, _ := CallerFrom(r.Context())
	return scores.NewMatch(in, caller, s.now().UTC())
}

func (s *server) listResults(w http.ResponseWriter, r *http.Request) {
	tournamentID, err := idParam(r, "tournamentId")
	if err != nil {
		writeError(w, r, err)
		return
	}
	got, ok := s.matchPage(w, r, "tournament "+tournamentID, func(ctx context.Context, page scores.PageRequest) (scores.Page, error) {
		return s.store.TournamentMatches(ctx, tournamentID, page)
	})
	if ok {
		writeCacheable(w, r, ResultsBody{Results: got.Matches, Cursor: got.Cursor})
	}
}

// matchPage reads the page the query asks for through list and answers the
// errors itself, reporting whether the caller should write the page. A later
// page may be empty (the store cannot always know a page was the last); only
// an empty first page means that what (a tournament, a player) has no matches.
func (s *server) matchPage(w http.ResponseWriter, r *http.Request, what string, list func(context.Context, scores.PageRequest) (scores.Page, error)) (scores.Page, bool) {
	page, err := pageParams(r)
	if err != nil {
		writeError(w, r, err)
		return scores.Page{}, false
	}
	got, err := list(r.Context(), page)
	if err != nil {
		writeError(w, r, err)
		return scores.Page{}, false
	}
	if len(got.Matches) == 0 && page.Cursor == "" {
		writeError(w, r, scores.Errorf(scores.CodeNotFound, "%s has no matches", what))
		return scores.Page{}, false
	}
	got.Matches = nonNil(got.Matches)
	return got, true
}

func (s *server) getStandings(w http.ResponseWriter, r *http.Request) {
	tournamentID, err := idParam(r, "tournamentId")
	if err != nil {
		writeError(w, r, err)
		return
	}
	standings, err := s.store.Standings(r.Context(), tournamentID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if len(standings) == 0 {
		writeError(w, r, scores.Errorf(scores.CodeNotFound, "tournament %s has no matches", tournamentID))
		return
	}
	writeCacheable(w, r, StandingsBody{TournamentID: tournamentID, Standings: standings})
}

func (s *server) getMatch(w http.ResponseWriter, r *http.Request) {
	tournamentID, matchID, err := matchParams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	m, err := s.store.GetMatch(r.Context(), tournamentID, matchID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeCacheable(w, r, m)
}

func (s *server) deleteMatch(w http.ResponseWriter, r *http.Request) {
	tournamentID, matchID, err := matchParams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	caller, _ := CallerFrom(r.Context())
	ctx, cancel := context.WithTimeout(r.Context(), s.writeTimeout)
	defer cancel()
	if err := s.store.DeleteMatch(ctx, tournamentID, matchID, caller); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) listPlayerMatches(w http.ResponseWriter, r *http.Request) {
	player, err := playerParam(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	got, ok := s.matchPage(w, r, "player "+player, func(ctx context.Context, page scores.PageRequest) (scores.Page, error) {
		return s.store.PlayerMatches(ctx, player, page)
	})
	if ok {
		writeCacheable(w, r, PlayerMatchesBody{Player: player, Matches: got.Matches, Cursor: got.Cursor})
	}
}

// idParam returns a tournament or match ID from the path, refusing one that
// could not be a key before it reaches the store.
func idParam(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if !scores.ValidID(v) {
		return "", invalidField(name, "must be 1-64 letters, digits, '.', '_' or '-'")
	}
	return v, nil
}

func matchParams(r *http.Request) (tournamentID, matchID string, err error) {
	if tournamentID, err = idParam(r, "tournamentId"); err != nil {
		return "", "", err
	}
	if matchID, err = idParam(r, "matchId"); err != nil {
		return "", "", err
	}
	return tournamentID, matchID, nil
}

// playerParam returns the player name from the path, trimmed, as the domain
// stores names: 1-64 printable characters.
func playerParam(r *http.Request) (string, error) {
	v := strings.TrimSpace(r.PathValue("player"))
	n := utf8.RuneCountInString(v)
	if n == 0 || n > 64 || !utf8.ValidString(v) || strings.IndexFunc(v, func(c rune) bool { return !unicode.IsPrint(c) }) >= 0 {
		return "", invalidField("player", "must be 1-64 printable characters")
	}
	return v, nil
}

// pageParams reads the limit and cursor query parameters.
func pageParams(r *http.Request) (scores.PageRequest, error) {
	q := r.URL.Query()
	page := scores.PageRequest{Limit: DefaultLimit, Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return page, invalidField("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLimit))
		}
		page.Limit = n
	}
	if len(page.Cursor) > maxCursorBytes {
		return page, invalidField("cursor", "is not a cursor this API returned")
	}
	return page, nil
}

func invalidField(name, problem string) error {
	return &scores.Error{
		Code:    scores.CodeInvalid,
		Message: fmt.Sprintf("invalid %s", name),
		Fields:  map[string]string{name: problem},
	}
}

func (s *server) regionName() string {
	if s.region == "" {
		return "an unknown region"
	}
	return s.region
}

func writeText(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(text))
}

func nonNil(ms []scores.Match) []scores.Match {
	if ms == nil {
		return []scores.Match{}
	}
	return ms
}
