package localcloud

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/hush-scores/hush/localcloud/gateway"
	"github.com/hush-scores/hush/stackconfig"
)

// settings are what Start takes from the stack file.
type settings struct {
	regions  []string
	throttle gateway.Throttle
	// writeRegion is opts.WriteRegion, else hush:writeRegion when the
	// regions come from the file, else the first region.
	writeRegion string
}

// loadSettings returns the regions and the method throttling of the stack:
// opts.Regions and opts.Throttle where given, the rest from
// Pulumi.<stack>.yaml. A stack without a file (as tests name one) is
// served unthrottled when its regions are given.
func loadSettings(root string, opts Options) (settings, error) {
	s, err := readSettings(root, opts)
	if err != nil {
		return s, err
	}
	if err := checkRegions(s.regions); err != nil {
		return s, err
	}
	s.writeRegion, err = checkWriteRegion(s.writeRegion, s.regions)
	return s, err
}

func readSettings(root string, opts Options) (settings, error) {
	s := settings{regions: opts.Regions, writeRegion: opts.WriteRegion}
	if opts.Throttle != nil {
		s.throttle = *opts.Throttle
	}
	if len(s.regions) > 0 && opts.Throttle != nil {
		return s, nil
	}
	cfg, err := stackconfig.LoadFile(stackconfig.File(root, opts.Stack))
	switch {
	case errors.Is(err, fs.ErrNotExist) && len(s.regions) > 0:
		return s, nil
	case err != nil:
		return s, fmt.Errorf("localcloud: read the settings of stack %s: %w", opts.Stack, err)
	}
	if len(s.regions) == 0 {
		// Home first, as Options.Regions has it: hush:homeRegion, not the
		// order of hush:regions, says which region holds the user pool.
		s.regions = append([]string{cfg.HomeRegion()}, cfg.ReplicaRegions()...)
		if s.writeRegion == "" {
			s.writeRegion = cfg.WriteRegion
		}
	}
	if opts.Throttle == nil {
		s.throttle = gateway.Throttle{RateLimit: cfg.Throttle.RateLimit, BurstLimit: cfg.Throttle.BurstLimit}
	}
	return s, nil
}

// checkRegions refuses a region list a local stack cannot serve.
func checkRegions(regions []string) error {
	if len(regions) == 0 || len(regions) > maxRegions {
		return fmt.Errorf("localcloud: %d regions; a local stack serves 1 to %d", len(regions), maxRegions)
	}
	return nil
}

// Throttle returns the method throttling every gateway enforces now.
func (s *Stack) Throttle() gateway.Throttle {
	s.throttleMu.Lock()
	defer s.throttleMu.Unlock()
	return s.throttle
}

// SetThrottle changes the method throttling of every region's gateway,
// as a `pulumi up` of new limits would; every bucket starts full. The
// zero Throttle turns throttling off.
func (s *Stack) SetThrottle(t gateway.Throttle) {
	s.throttleMu.Lock()
	defer s.throttleMu.Unlock()
	s.throttle = t
	for _, th := range s.throttlers {
		th.SetLimits(t)
	}
}

// newThrottler returns a region's throttler with the stack's limits.
func (s *Stack) newThrottler() *gateway.Throttler {
	s.throttleMu.Lock()
	defer s.throttleMu.Unlock()
	th := gateway.NewThrottler(s.throttle)
	s.throttlers = append(s.throttlers, th)
	return th
}
