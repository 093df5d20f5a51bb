package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/scores"
	"github.com/hush-scores/hush/writeregion"
)

// leaseStack stands for a stack of three regions in one DynamoDB Local:
// one table per region plays that region's replica, and replicate copies
// each replica's own view into the others, as a global table does. Every
// condition of the fence is evaluated by DynamoDB Local, in the table of
// the view it guards.
type leaseStack struct {
	client   *dynamodb.Client
	regions  []string
	tables   map[string]string
	controls map[string]*Control
	// cut[from][to] set means calls from region from's functions (or the
	// operator, from "ops") to region to's replica fail: a partition.
	mu  sync.Mutex
	cut map[string]map[string]*atomic.Bool
	now atomic.Int64
}

func newLeaseStack(t *testing.T, regions ...string) *leaseStack {
	t.Helper()
	client := dynamotest.Start(t, ConfigureClient, allOps.install)
	s := &leaseStack{client: client, regions: regions, tables: map[string]string{}, controls: map[string]*Control{}, cut: map[string]map[string]*atomic.Bool{}}
	for _, r := range regions {
		s.tables[r] = dynamotest.NewTable(t, client, CreateTable)
		s.controls[r] = NewControl(client, s.tables[r], r)
	}
	s.now.Store(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC).UnixNano())
	return s
}

func (s *leaseStack) Now() time.Time { return time.Unix(0, s.now.Load()).UTC() }

func (s *leaseStack) advance(d time.Duration) { s.now.Add(int64(d)) }

func (s *leaseStack) sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		s.advance(d)
	}
	return ctx.Err()
}

// replicate copies the own view of every region but those in lost into
// the tables of every region but those in lost.
func (s *leaseStack) replicate(t *testing.T, lost ...string) {
	t.Helper()
	isLost := map[string]bool{}
	for _, r := range lost {
		isLost[r] = true
	}
	for _, from := range s.regions {
		if isLost[from] {
			continue
		}
		out, err := s.client.GetItem(ctxT(t), &dynamodb.GetItemInput{
			TableName: aws.String(s.tables[from]), Key: viewKey(from), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			t.Fatalf("replicate: read the view of %s: %v", from, err)
		}
		if out.Item == nil {
			continue
		}
		for _, to := range s.regions {
			if to == from || isLost[to] {
				continue
			}
			if _, err := s.client.PutItem(ctxT(t), &dynamodb.PutItemInput{TableName: aws.String(s.tables[to]), Item: out.Item}); err != nil {
				t.Fatalf("replicate: copy the view of %s to %s: %v", from, to, err)
			}
		}
	}
}

// partition cuts the calls from the functions of region from (or "ops")
// to the replica of region to, or restores them.
func (s *leaseStack) partition(from, to string, on bool) {
	s.link(from, to).Store(on)
}

func (s *leaseStack) link(from, to string) *atomic.Bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cut[from] == nil {
		s.cut[from] = map[string]*atomic.Bool{}
	}
	if s.cut[from][to] == nil {
		s.cut[from][to] = &atomic.Bool{}
	}
	return s.cut[from][to]
}

// replicasFrom returns every replica as seen from region from.
func (s *leaseStack) replicasFrom(from string) map[string]writeregion.Control {
	cs := map[string]writeregion.Control{}
	for _, r := range s.regions {
		cs[r] = cuttable{Control: s.controls[r], cut: s.link(from, r)}
	}
	return cs
}

func (s *leaseStack) fence(t *testing.T, region string, unfenced bool) *writeregion.Fence {
	t.Helper()
	replicas := s.replicasFrom(region)
	f, err := writeregion.NewFence(writeregion.FenceConfig{
		Region: region, Regions: s.regions, Local: replicas[region], Replicas: replicas,
		Now: s.Now, WriteBound: 1800 * time.Millisecond, By: "write@" + region, Unfenced: unfenced,
	})
	if err != nil {
		t.Fatalf("NewFence: %v", err)
	}
	return f
}

// cuttable is a Control behind a link that a test can cut: a cut call
// fails at once, unavailable, as a refused connection does.
type cuttable struct {
	writeregion.Control
	cut *atomic.Bool
}

func (c cuttable) down() error {
	if c.cut.Load() {
		return unavailable(errors.New("connection refused (test partition)"))
	}
	return nil
}

func (c cuttable) Views(ctx context.Context) ([]writeregion.View, error) {
	if err := c.down(); err != nil {
		return nil, err
	}
	return c.Control.Views(ctx)
}

func (c cuttable) Seed(ctx context.Context, v writeregion.View) (writeregion.View, error) {
	if err := c.down(); err != nil {
		return writeregion.View{}, err
	}
	return c.Control.Seed(ctx, v)
}

func (c cuttable) Renew(ctx context.Context, b writeregion.Belief, until time.Time, by string) (writeregion.View, error) {
	if err := c.down(); err != nil {
		return writeregion.View{}, err
	}
	return c.Control.Renew(ctx, b, until, by)
}

func (c cuttable) Set(ctx context.Context, b writeregion.Belief, by string) (writeregion.View, error) {
	if err := c.down(); err != nil {
		return writeregion.View{}, err
	}
	return c.Control.Set(ctx, b, by)
}

func (c cuttable) Mark(ctx context.Context, token string) error {
	if err := c.down(); err != nil {
		return err
	}
	return c.Control.Mark(ctx, token)
}

// TestLeaseProtocolOnDynamoDBLocal plays the loss of the write region with
// real conditional writes: eu-west-1, the write region, is cut off from
// the other two right after its functions took a lease; the operator
// forces the write region to us-east-1 from there. With the fence, the old
// region admits no write once its lease has run out (DefaultLease after it
// began), which is before the new one opens. With the fence removed (the
// test switch), both admit writes at the same time, so the test can fail.
func TestLeaseProtocolOnDynamoDBLocal(t *testing.T) {
	const (
		eu = "eu-west-1"
		us = "us-east-1"
		ap = "ap-southeast-2"
	)
	for _, unfenced := range []bool{false, true} {
		t.Run(fmt.Sprintf("unfenced=%v", unfenced), func(t *testing.T) {
			s := newLeaseStack(t, eu, us, ap)
			for _, r := range s.regions {
				if _, err := s.controls[r].Seed(ctxT(t), writeregion.View{WriteRegion: eu, Epoch: 1, State: writeregion.Open, By: "seed"}); err != nil {
					t.Fatalf("seed %s: %v", r, err)
				}
			}
			s.replicate(t)

			old := s.fence(t, eu, unfenced)
			leaseStart := s.Now()
			if got, err := old.Admit(ctxT(t)); err != nil || got != eu {
				t.Fatalf("write in %s before the loss: %q, %v; want %s", eu, got, err, eu)
			}
			// eu-west-1 is cut off from the others, both ways, and the
			// operator works from us-east-1's side.
			for _, r := range []string{us, ap} {
				s.partition(eu, r, true)
				s.partition(r, eu, true)
			}
			s.partition("ops", eu, true)

			var admittedOld []time.Duration
			tryOld := func() {
				if _, err := old.Admit(ctxT(t)); err == nil {
					admittedOld = append(admittedOld, s.Now().Sub(leaseStart))
				} else if code := scores.ErrorCode(err); code != scores.CodeUnavailable {
					t.Errorf("old write region's refusal: code %q (%v), want unavailable", code, err)
				}
			}
			s.advance(time.Second)
			tryOld()

			var openedAt time.Duration
			op := &writeregion.Operator{
				Regions: s.regions, Replicas: s.replicasFrom("ops"), Now: s.Now, Sleep: s.sleep,
				Progress: func(st writeregion.Step) {
					if st.Name == "open" {
						openedAt = s.Now().Sub(leaseStart)
					}
				},
			}
			if err := op.Move(ctxT(t), us, true); err != nil {
				t.Fatalf("forced move: %v", err)
			}
			s.replicate(t, eu)
			newer := s.fence(t, us, false)
			if got, err := newer.Admit(ctxT(t)); err != nil || got != us {
				t.Fatalf("write in %s after the move: %q, %v; want %s", us, got, err, us)
			}
			tryOld()
			// The old region keeps trying for a while after the move.
			for range 10 {
				s.advance(500 * time.Millisecond)
				tryOld()
			}

			if unfenced {
				if len(admittedOld) == 0 || admittedOld[len(admittedOld)-1] < openedAt {
					t.Fatalf("unfenced: the old write region admitted at %v, want it to go on admitting after the new one opened at %v", admittedOld, openedAt)
				}
				return
			}
			if openedAt < writeregion.DefaultLease+writeregion.Margin {
				t.Errorf("the new write region opened %v after the old lease began, before the lease and margin (%v)", openedAt, writeregion.DefaultLease+writeregion.Margin)
			}
			for _, at := range admittedOld {
				if at > writeregion.DefaultLease-1800*time.Millisecond {
					t.Errorf("the old write region admitted a write %v after its lease began, which could end after the lease (%v)", at, writeregion.DefaultLease)
				}
			}
			if len(admittedOld) != 1 {
				t.Errorf("old write region admitted at %v, want only at 1s, on the lease it held", admittedOld)
			}
			// The old region's view still says epoch 1, as its replica does:
			// only its own view grants, which is no majority.
			views, err := s.controls[eu].Views(ctxT(t))
			if err != nil {
				t.Fatalf("views of %s: %v", eu, err)
			}
			if b, _ := writeregion.Believe(views); b.Epoch != 1 {
				t.Errorf("the cut-off replica believes %+v, want the old epoch: the test must show the lease, not replication, stopping it", b)
			}

			// It returns: a renewal through the others learns the move, and
			// its writes go to the new write region.
			for _, r := range []string{us, ap} {
				s.partition(eu, r, false)
				s.partition(r, eu, false)
			}
			if got, err := old.Admit(ctxT(t)); err != nil || got != us {
				t.Errorf("write through the returned region: %q, %v; want it sent to %s", got, err, us)
			}
			// The majority decided the renewal; the returned region's own
			// view adopts the move when its reply comes, maybe later.
			deadline := time.Now().Add(10 * time.Second)
			for own := s.ownView(t, eu); own.WriteRegion != us || own.Epoch != 2; own = s.ownView(t, eu) {
				if time.Now().After(deadline) {
					t.Fatalf("the returned region's view: %+v, want it to adopt %s at epoch 2", own, us)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func (s *leaseStack) ownView(t *testing.T, region string) writeregion.View {
	t.Helper()
	out, err := s.client.GetItem(ctxT(t), &dynamodb.GetItemInput{
		TableName: aws.String(s.tables[region]), Key: viewKey(region), ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item == nil {
		t.Fatalf("own view of %s: %v (item %v)", region, err, out.Item != nil)
	}
	v, err := unmarshalView(out.Item)
	if err != nil {
		t.Fatalf("own view of %s: %v", region, err)
	}
	return v
}
