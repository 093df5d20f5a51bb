package localcloud

import (
	"context"
	"fmt"

	"github.com/hush-scores/hush/localcloud/drill"
)

// Faults breaks parts of a running stack on purpose and restores them: the
// drill controls beside the status page, the hush-local console and the
// tests all drive a stack through it. It implements drill.Breaker.
//
//   - drill.CutOff partitions a region: cross-region calls into and out
//     of it hang until the caller gives up (writes forwarded to it as the
//     write region included), and replication into and out of it stops;
//     its own gateway and functions keep serving it from its replica.
//   - drill.Replica takes a region's replica down: it refuses every call,
//     its own region's included.
//   - drill.Gateway stops a region's gateway: connections to its port are
//     refused until it is restored, its functions and replica untouched.
//   - drill.Invert inverts a region's health check at the front door, as
//     hush:failoverDrill does in the cloud.
type Faults struct{ s *Stack }

var _ drill.Breaker = (*Faults)(nil)

// Faults returns the stack's faults.
func (s *Stack) Faults() *Faults { return &Faults{s: s} }

// Break puts region through fault.
func (f *Faults) Break(ctx context.Context, fault drill.Fault, region string) error {
	return f.set(ctx, fault, region, true)
}

// Restore undoes fault in region; restoring what is not broken does
// nothing.
func (f *Faults) Restore(ctx context.Context, fault drill.Fault, region string) error {
	return f.set(ctx, fault, region, false)
}

func (f *Faults) set(ctx context.Context, fault drill.Fault, region string, broken bool) error {
	s := f.s
	if s.info.URL(region) == "" {
		return fmt.Errorf("localcloud: %q is not a region of this stack", region)
	}
	switch fault {
	case drill.Gateway:
		if err := s.life.usable(ctx); err != nil {
			return err
		}
		g, err := s.gateways.server(region)
		if err != nil {
			return err
		}
		if broken {
			return g.stop()
		}
		return g.start()
	case drill.Invert:
		if err := s.edge.frontDoor.SetInverted(region, broken); err != nil {
			return fmt.Errorf("localcloud: %w", err)
		}
		return nil
	case drill.Replica:
		if broken {
			return s.table.net.TakeDown(region)
		}
		return s.table.net.BringUp(region)
	case drill.CutOff:
		if broken {
			return s.table.net.CutOff(region)
		}
		return s.table.net.Reconnect(region)
	}
	return fmt.Errorf("localcloud: this local stack cannot %s a region", fault)
}
