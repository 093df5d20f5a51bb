package writeregion

import (
	"context"
	"fmt"

	"github.com/hush-scores/hush/scores"
)

// NewStore returns a scores.Store whose every call goes to the store of the
// write region: a write to the region Admit names, once the fence admits
// it, and a read to the region the current belief names. stores holds a
// store per region, each reaching that region's replica.
//
// Reads are not fenced: a read changes nothing, so it needs no lease, and a
// paused stack should still answer them.
func NewStore(f *Fence, stores map[string]scores.Store) scores.Store {
	return &fencedStore{fence: f, stores: stores}
}

type fencedStore struct {
	fence  *Fence
	stores map[string]scores.Store
}

// writer returns the store of the region the fence admits a write to.
func (s *fencedStore) writer(ctx context.Context) (scores.Store, error) {
	region, err := s.fence.Admit(ctx)
	if err != nil {
		return nil, err
	}
	return s.of(region)
}

// reader returns the store of the region the current belief names.
func (s *fencedStore) reader(ctx context.Context) (scores.Store, error) {
	b, err := s.fence.Belief(ctx)
	if err != nil {
		return nil, err
	}
	return s.of(b.WriteRegion)
}

// of returns the store of region. A region without one is a wiring bug (a
// view naming a region the stack was not deployed to), so it is
// CodeInternal, not a refusal to try again.
func (s *fencedStore) of(region string) (scores.Store, error) {
	st, ok := s.stores[region]
	if !ok {
		return nil, &scores.Error{Code: scores.CodeInternal, Message: "internal error",
			Err: fmt.Errorf("writeregion: no store for the write region %q", region)}
	}
	return st, nil
}

func (s *fencedStore) CreateMatch(ctx context.Context, m scores.Match) error {
	st, err := s.writer(ctx)
	if err != nil {
		return err
	}
	return st.CreateMatch(ctx, m)
}

func (s *fencedStore) PutMatch(ctx context.Context, m scores.Match, caller scores.Caller) error {
	st, err := s.writer(ctx)
	if err != nil {
		return err
	}
	return st.PutMatch(ctx, m, caller)
}

func (s *fencedStore) DeleteMatch(ctx context.Context, tournamentID, matchID string, caller scores.Caller) error {
	st, err := s.writer(ctx)
	if err != nil {
		return err
	}
	return st.DeleteMatch(ctx, tournamentID, matchID, caller)
}

func (s *fencedStore) GetMatch(ctx context.Context, tournamentID, matchID string) (scores.Match, error) {
	st, err := s.reader(ctx)
	if err != nil {
		return scores.Match{}, err
	}
	return st.GetMatch(ctx, tournamentID, matchID)
}

func (s *fencedStore) TournamentMatches(ctx context.Context, tournamentID string, page scores.PageRequest) (scores.Page, error) {
	st, err := s.reader(ctx)
	if err != nil {
		return scores.Page{}, err
	}
	return st.TournamentMatches(ctx, tournamentID, page)
}

func (s *fencedStore) Standings(ctx context.Context, tournamentID string) ([]scores.Standing, error) {
	st, err := s.reader(ctx)
	if err != nil {
		return nil, err
	}
	return st.Standings(ctx, tournamentID)
}

func (s *fencedStore) PlayerMatches(ctx context.Context, player string, page scores.PageRequest) (scores.Page, error) {
	st, err := s.reader(ctx)
	if err != nil {
		return scores.Page{}, err
	}
	return st.PlayerMatches(ctx, player, page)
}

func (s *fencedStore) Ping(ctx context.Context) error {
	st, err := s.reader(ctx)
	if err != nil {
		return err
	}
	return st.Ping(ctx)
}
