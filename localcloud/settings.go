package localcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/localcloud/cognitolocal"
	"github.com/hush-scores/hush/localcloud/gateway"
	"github.com/hush-scores/hush/stackconfig"
)

// settings are Options resolved: defaults applied, the stack file read and
// everything checked, before any part starts.
type settings struct {
	opts Options
	// root is the module root; dataDir the absolute data dir.
	root, dataDir string
	// name is hush-<stack>: the table's and the user pool's name.
	name    string
	regions []string
	// throttle is the gateways' method throttling at start.
	throttle gateway.Throttle
	// writeRegion is opts.WriteRegion, else hush:writeRegion when the
	// regions come from the file, else the first region: the write region
	// every replica's view is seeded with at start (a view once seeded is
	// kept, so a restart keeps a move made at run time).
	writeRegion  string
	writeTimeout time.Duration
	// ports are the parts' ports, from opts.BasePort.
	ports ports
	// selfSignUp is hush:selfSignUp from Pulumi.<stack>.yaml; false for a
	// stack without a file (sign-up closed, as an unset key means).
	selfSignUp bool
}

// resolveSettings applies the defaults of opts and reads the rest from
// Pulumi.<stack>.yaml. Node.js and cognito-local's npm package are checked
// here, so a missing one is reported before anything starts.
func resolveSettings(ctx context.Context, opts Options) (settings, error) {
	if opts.Stack == "" {
		return settings{}, errors.New("localcloud: no stack name")
	}
	root := opts.ModuleRoot
	if root == "" {
		var err error
		if root, err = child.ModuleRoot(); err != nil {
			return settings{}, fmt.Errorf("localcloud: %w", err)
		}
	}
	set, err := loadSettings(root, opts)
	if err != nil {
		return settings{}, err
	}
	if _, _, err := cognitolocal.Check(ctx, root); err != nil {
		return settings{}, fmt.Errorf("localcloud: %w", err)
	}
	dataDir := cmp.Or(opts.DataDir, filepath.Join(root, ".hush", "local", opts.Stack))
	if set.dataDir, err = filepath.Abs(dataDir); err != nil {
		return settings{}, fmt.Errorf("localcloud: data dir: %w", err)
	}
	set.opts, set.root, set.ports = opts, root, ports{base: opts.BasePort}
	set.name = stackconfig.ResourceName(opts.Stack)
	set.writeTimeout = cmp.Or(opts.WriteTimeout, DefaultWriteTimeout)
	return set, nil
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
	// The file is read even when opts give the regions and the throttling:
	// hush:selfSignUp comes only from it.
	cfg, err := stackconfig.LoadFile(stackconfig.File(root, opts.Stack))
	switch {
	case errors.Is(err, fs.ErrNotExist) && len(s.regions) > 0:
		return s, nil
	case err != nil:
		return s, fmt.Errorf("localcloud: read the settings of stack %s: %w", opts.Stack, err)
	}
	s.selfSignUp = cfg.SelfSignUp
	if len(s.regions) == 0 {
		// Home first, as Options.Regions has it: hush:homeRegion, not the
		// order of hush:regions, says which region holds the user pool.
		s.regions = append([]string{cfg.HomeRegion()}, cfg.ReplicaRegions()...)
		if s.writeRegion == "" {
			s.writeRegion = cfg.WriteRegion
		}
	}
	if opts.Throttle == nil {
		s.throttle = cfg.Throttle
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

// checkWriteRegion returns the write region a new stack is seeded with.
func checkWriteRegion(want string, regions []string) (string, error) {
	if want == "" {
		return regions[0], nil
	}
	if !slices.Contains(regions, want) {
		return "", fmt.Errorf("localcloud: write region %q is not one of the regions %v", want, regions)
	}
	return want, nil
}
