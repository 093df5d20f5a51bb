package localcloud

import (
	"context"
	"errors"
	"fmt"

	"github.com/hush-scores/hush/localcloud/replicator"
)

// PendingChange is a change committed in one region that replication has
// not delivered to another yet.
type PendingChange = replicator.Pending

// lose makes region dark at once, as a region lost to an outage is, or
// brings it back (lost false) with whatever it held:
//
//   - its network and replica first (regionnet.Network.Lose), so nothing
//     reaches it or leaves it from then on: every call into its replica is
//     refused, its own region's included, cross-region calls and
//     replication into and out of it are refused at once;
//   - its gateway: connections to its port are refused;
//   - the emulated Cognito when region is the home region, where the user
//     pool lives: connections refused, no token issued or refreshed. The
//     gateways keep the keys they already hold, so tokens issued before
//     the loss still pass.
//
// Nothing is wiped: the replica keeps what it committed, and the
// replicator, which goes on reading the lost replica's stream (its
// versions stand for commit times), delivers what was pending both ways
// once the region is back. The front door sees a region whose gateway
// refuses connections, as it sees any dead region.
func (f *Faults) lose(ctx context.Context, region string, lost bool) error {
	s := f.s
	if err := s.life.usable(ctx); err != nil {
		return err
	}
	g, err := s.gateways.server(region)
	if err != nil {
		return err
	}
	home := region == s.info.HomeRegion
	if lost {
		if err := s.table.net.Lose(region); err != nil {
			return fmt.Errorf("localcloud: lose %s: %w", region, err)
		}
		errs := []error{g.stop(), s.loseIdentityReplica(region, true)}
		if home {
			errs = append(errs, s.cognito.Darken())
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("localcloud: lose %s: %w", region, err)
		}
		return nil
	}
	// Back in the reverse order: Cognito and the gateway answer before
	// the replica can be reached, as a region comes back from the inside.
	errs := []error{s.loseIdentityReplica(region, false)}
	if home {
		errs = append(errs, s.cognito.Light())
	}
	errs = append(errs, g.start())
	if err := s.table.net.Return(region); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("localcloud: restore %s: %w", region, err)
	}
	return nil
}

// Lost reports whether region is lost (Faults().Break(ctx, drill.Lose,
// region)).
func (s *Stack) Lost(region string) bool {
	for _, st := range s.NetworkStates() {
		if st.Region == region {
			return st.Lost
		}
	}
	return false
}

// PendingReplication lists the items whose changes committed in from have
// not been delivered to to yet, oldest first: what to would miss if from
// were lost now, or what a lost region had not replicated when it was
// lost.
func (s *Stack) PendingReplication(from, to string) []PendingChange {
	return s.table.replicator.Pending(from, to)
}

// PendingReplication is Stack.PendingReplication, for the drill's control
// endpoints (drill.PendingLister).
func (f *Faults) PendingReplication(from, to string) []PendingChange {
	return f.s.PendingReplication(from, to)
}
