package writeregion

import (
	"context"
	"strings"
	"testing"

	"github.com/hush-scores/hush/scores"
)

// recordingStore is a scores.Store that records which calls reached it.
// Methods a test does not expect panic through the nil embedded interface.
type recordingStore struct {
	scores.Store
	calls []string
}

func (s *recordingStore) CreateMatch(context.Context, scores.Match) error {
	s.calls = append(s.calls, "CreateMatch")
	return nil
}

func (s *recordingStore) PutMatch(context.Context, scores.Match, scores.Caller) error {
	s.calls = append(s.calls, "PutMatch")
	return nil
}

func (s *recordingStore) DeleteMatch(context.Context, string, string, scores.Caller) error {
	s.calls = append(s.calls, "DeleteMatch")
	return nil
}

func (s *recordingStore) GetMatch(context.Context, string, string) (scores.Match, error) {
	s.calls = append(s.calls, "GetMatch")
	return scores.Match{}, nil
}

func (s *recordingStore) Ping(context.Context) error {
	s.calls = append(s.calls, "Ping")
	return nil
}

func newRecordingStores() map[string]*recordingStore {
	m := map[string]*recordingStore{}
	for _, r := range regions3 {
		m[r] = &recordingStore{}
	}
	return m
}

func asStores(m map[string]*recordingStore) map[string]scores.Store {
	out := map[string]scores.Store{}
	for r, s := range m {
		out[r] = s
	}
	return out
}

func storeCalls(t *testing.T, st scores.Store) []error {
	t.Helper()
	ctx := context.Background()
	_, getErr := st.GetMatch(ctx, "t", "m")
	return []error{
		st.CreateMatch(ctx, scores.Match{}),
		st.PutMatch(ctx, scores.Match{}, scores.Caller{}),
		st.DeleteMatch(ctx, "t", "m", scores.Caller{}),
		getErr,
		st.Ping(ctx),
	}
}

func TestStoreGoesToTheWriteRegion(t *testing.T) {
	s := newTestStack(t, regions3...)
	s.set(t, Belief{WriteRegion: "us-east-1", Epoch: 2, State: Open}, regions3...)
	s.replicate()
	stores := newRecordingStores()
	st := NewStore(s.fence(t, "ap-southeast-2"), asStores(stores))
	for i, err := range storeCalls(t, st) {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	want := "[GetMatch CreateMatch PutMatch DeleteMatch Ping]"
	for r, rs := range stores {
		got := fmtCalls(rs.calls)
		if r == "us-east-1" && got != want {
			t.Errorf("write region's store: got %s, want %s", got, want)
		}
		if r != "us-east-1" && got != "[]" {
			t.Errorf("store of %s: got %s, want none", r, got)
		}
	}
}

func TestStoreRefusedWritesReachNoStore(t *testing.T) {
	s := newTestStack(t, regions3...)
	s.set(t, Belief{WriteRegion: "eu-west-1", Epoch: 1, State: Paused}, regions3...)
	s.replicate()
	stores := newRecordingStores()
	st := NewStore(s.fence(t, "eu-west-1"), asStores(stores))
	errs := storeCalls(t, st)
	for i, err := range errs[:3] {
		if scores.ErrorCode(err) != scores.CodeUnavailable {
			t.Errorf("write %d while paused: got %v, want a refusal (unavailable)", i, err)
		}
	}
	for i, err := range errs[3:] {
		if err != nil {
			t.Errorf("read %d while paused: %v, want it served", i, err)
		}
	}
	if got := fmtCalls(stores["eu-west-1"].calls); got != "[GetMatch Ping]" {
		t.Errorf("calls that reached the store: %s, want the reads only", got)
	}
}

func TestStoreWithoutTheWriteRegionsStoreIsInternal(t *testing.T) {
	s := newTestStack(t, regions3...)
	st := NewStore(s.fence(t, "eu-west-1"), map[string]scores.Store{"us-east-1": &recordingStore{}})
	if err := st.CreateMatch(context.Background(), scores.Match{}); scores.ErrorCode(err) != scores.CodeInternal {
		t.Errorf("write without the write region's store: got %v, want an internal error", err)
	}
}

func fmtCalls(calls []string) string { return "[" + strings.Join(calls, " ") + "]" }
