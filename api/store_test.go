package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/hush-scores/hush/scores"
)

// memStore is an in-memory scores.Store that honours the Store contract's
// error codes, for handler tests. fail, when set, is returned by every call.
type memStore struct {
	mu      sync.Mutex
	matches map[string]scores.Match // key: tournament + "/" + match
	fail    error
	calls   int
}

func newMemStore() *memStore { return &memStore{matches: map[string]scores.Match{}} }

func key(t, m string) string { return t + "/" + m }

func (s *memStore) begin() error {
	s.calls++
	return s.fail
}

func mayChange(existing scores.Match, caller scores.Caller) bool {
	return (existing.Owner != "" && existing.Owner == caller.Sub) || caller.IsAdmin()
}

func (s *memStore) CreateMatch(_ context.Context, m scores.Match) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(); err != nil {
		return err
	}
	k := key(m.TournamentID, m.MatchID)
	if _, ok := s.matches[k]; ok {
		return scores.Errorf(scores.CodeConflict, "match %s of tournament %s exists already", m.MatchID, m.TournamentID)
	}
	s.matches[k] = m
	return nil
}

func (s *memStore) PutMatch(_ context.Context, m scores.Match, caller scores.Caller) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(); err != nil {
		return err
	}
	k := key(m.TournamentID, m.MatchID)
	if old, ok := s.matches[k]; ok && !mayChange(old, caller) {
		return scores.Errorf(scores.CodeForbidden, "match %s was recorded by another user", m.MatchID)
	}
	s.matches[k] = m
	return nil
}

func (s *memStore) GetMatch(_ context.Context, t, id string) (scores.Match, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(); err != nil {
		return scores.Match{}, err
	}
	m, ok := s.matches[key(t, id)]
	if !ok {
		return scores.Match{}, scores.Errorf(scores.CodeNotFound, "match %s of tournament %s not found", id, t)
	}
	return m, nil
}

func (s *memStore) DeleteMatch(_ context.Context, t, id string, caller scores.Caller) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(); err != nil {
		return err
	}
	k := key(t, id)
	old, ok := s.matches[k]
	if !ok {
		return scores.Errorf(scores.CodeNotFound, "match %s of tournament %s not found", id, t)
	}
	if !mayChange(old, caller) {
		return scores.Errorf(scores.CodeForbidden, "match %s was recorded by another user", id)
	}
	delete(s.matches, k)
	return nil
}

// page cuts list at the offset a cursor for scope holds.
func page(list []scores.Match, scope string, req scores.PageRequest) (scores.Page, error) {
	start := 0
	if req.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(req.Cursor)
		s, offset, ok := strings.Cut(string(raw), "|")
		n, convErr := strconv.Atoi(offset)
		if err != nil || !ok || s != scope || convErr != nil || n < 0 || n > len(list) {
			return scores.Page{}, scores.Errorf(scores.CodeInvalid, "invalid cursor")
		}
		start = n
	}
	end := min(start+req.Limit, len(list))
	p := scores.Page{Matches: append([]scores.Match(nil), list[start:end]...)}
	if end < len(list) {
		p.Cursor = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s|%d", scope, end))
	}
	return p, nil
}

func (s *memStore) tournament(t string) []scores.Match {
	var list []scores.Match
	for _, m := range s.matches {
		if m.TournamentID == t {
			list = append(list, m)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].MatchID < list[j].MatchID })
	return list
}

func (s *memStore) TournamentMatches(_ context.Context, t string, req scores.PageRequest) (scores.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(); err != nil {
		return scores.Page{}, err
	}
	return page(s.tournament(t), "T#"+t, req)
}

func (s *memStore) Standings(_ context.Context, t string) ([]scores.Standing, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(); err != nil {
		return nil, err
	}
	return scores.Standings(s.tournament(t)), nil
}

func (s *memStore) PlayerMatches(_ context.Context, player string, req scores.PageRequest) (scores.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(); err != nil {
		return scores.Page{}, err
	}
	p := scores.PlayerKey(player)
	var list []scores.Match
	for _, m := range s.matches {
		if scores.PlayerKey(m.Player1) == p || scores.PlayerKey(m.Player2) == p {
			list = append(list, m)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].RecordedAt.Equal(list[j].RecordedAt) {
			return list[i].RecordedAt.After(list[j].RecordedAt)
		}
		return key(list[i].TournamentID, list[i].MatchID) < key(list[j].TournamentID, list[j].MatchID)
	})
	return page(list, "P#"+p, req)
}

func (s *memStore) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.begin()
}

// errTable is a cause that must never reach a client.
var errTable = errors.New("dial tcp 10.0.0.1:443: secret-internal-detail")
