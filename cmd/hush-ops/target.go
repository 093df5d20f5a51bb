package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/agext/levenshtein"

	"github.com/hush-scores/hush/stackconfig"
)

// target is the stack hush-ops acts on: its table, its regions, and how
// each region's replica is reached.
type target struct {
	Table   string
	Regions []string
	// Endpoints maps a region to the URL of its replica; a region without
	// one is reached at AWS's DynamoDB endpoint of the region.
	Endpoints map[string]string
	// Secret signs the requests to Endpoints for a local stack's emulator
	// guards; empty means AWS's default credentials.
	Secret string
	// UserPool, HomeRegion and ReplicaRegion are the user pool and the
	// regions of its primary and secondary replicas, for the identity
	// commands; ReplicaRegion is empty where the pool has no replica.
	UserPool, HomeRegion, ReplicaRegion string
	// CognitoEndpoints maps a region to the URL of its Cognito endpoint
	// (a local stack's); a region without one is reached at AWS's.
	CognitoEndpoints map[string]string
	// CallTimeout bounds each call to a replica; DrainTimeout bounds a
	// planned move's wait for replication.
	CallTimeout, DrainTimeout time.Duration
}

// The names of the outputs hush-ops reads from `pulumi stack output
// --json` (package components' OutputTableName and OutputRegions, which a
// test holds these to), and the one only a local stack's file has
// (localcloud.StackOutput). The identity commands read the user pool's
// (components' OutputUserPoolID, OutputHomeRegion and
// OutputIdentityReplicaRegion) and a local stack's Cognito endpoints.
const (
	outputTable         = "tableName"
	outputRegions       = "regions"
	outputEndpoints     = "replicaEndpoints"
	outputUserPool      = "userPoolId"
	outputHomeRegion    = "homeRegion"
	outputReplicaRegion = "identityReplicaRegion"
	outputCognito       = "cognitoEndpoints"
)

// The local stack's names: hush-local prints its data dir as
// HUSH_LOCAL_DATA_DIR and keeps there the secret its emulators check and
// its outputs. They are written here rather than imported, since a
// production tool imports nothing of the emulation; a test holds them to
// the local stack's own.
const (
	dataDirEnv       = "HUSH_LOCAL_DATA_DIR"
	secretFileName   = "local-secret"
	outputsFileName  = "stack-output.json"
	defaultLocalDirs = ".hush/local"
)

// Default bounds of the operator's calls.
const (
	defaultCallTimeout  = 3 * time.Second
	defaultDrainTimeout = 60 * time.Second
)

// targetFlags are the flags that say which stack to act on. They may come
// before the command or after it, so register can run on two flag sets:
// each registration keeps the values parsed so far as its defaults.
type targetFlags struct {
	outputs, table, regions, secretFile, dataDir, stack string
	local                                               bool
	endpoints                                           map[string]string
	callTimeout, drainTimeout                           time.Duration
}

func newTargetFlags() *targetFlags {
	return &targetFlags{endpoints: map[string]string{}, callTimeout: defaultCallTimeout, drainTimeout: defaultDrainTimeout}
}

func (f *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.outputs, "outputs", f.outputs, "`FILE`: a saved copy of 'pulumi stack output --json' of the stack (keep it outside the stack's regions), or a local stack's "+outputsFileName)
	fs.BoolVar(&f.local, "local", f.local, "act on the running local stack: its "+outputsFileName+" and "+secretFileName+" in its data dir ($"+dataDirEnv+", else "+defaultLocalDirs+"/<stack> of the checkout)")
	fs.StringVar(&f.dataDir, "data-dir", f.dataDir, "with -local: the data dir of the running hush-local")
	fs.StringVar(&f.stack, "stack", f.stack, "with -local: the -stack of the running hush-local, for its default data dir (default dev)")
	fs.StringVar(&f.table, "table", f.table, "the table, hush-<stack> (overrides the outputs)")
	fs.StringVar(&f.regions, "regions", f.regions, "every region of the stack, comma-separated (overrides the outputs)")
	fs.Func("endpoint", "`region=URL`: reach that region's replica at URL instead of AWS's endpoint (repeat for each region; overrides the outputs)", f.addEndpoint)
	fs.StringVar(&f.secretFile, "secret-file", f.secretFile, "the file holding the local stack's secret that requests to -endpoint URLs are signed with (default <data dir>/"+secretFileName+" with -local, else from $"+dataDirEnv+")")
	fs.DurationVar(&f.callTimeout, "call-timeout", f.callTimeout, "bound of each call to one replica")
	fs.DurationVar(&f.drainTimeout, "drain-timeout", f.drainTimeout, "how long a planned move waits for replication from the old write region to drain")
}

func (f *targetFlags) addEndpoint(v string) error {
	region, u, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(region) == "" || strings.TrimSpace(u) == "" {
		return fmt.Errorf("%q: want region=URL, e.g. eu-west-1=http://127.0.0.1:8000", v)
	}
	f.endpoints[strings.TrimSpace(region)] = strings.TrimSpace(u)
	return nil
}

// args returns the flags that name the same target again, for the command
// that continues after a failure.
func (f *targetFlags) args() []string {
	var out []string
	add := func(name, v string) {
		if v != "" {
			out = append(out, "-"+name, v)
		}
	}
	if f.local {
		out = append(out, "-local")
	}
	add("data-dir", f.dataDir)
	add("stack", f.stack)
	add("outputs", f.outputs)
	add("table", f.table)
	add("regions", f.regions)
	for _, r := range slices.Sorted(maps.Keys(f.endpoints)) {
		add("endpoint", r+"="+f.endpoints[r])
	}
	add("secret-file", f.secretFile)
	if f.callTimeout != defaultCallTimeout {
		add("call-timeout", f.callTimeout.String())
	}
	if f.drainTimeout != defaultDrainTimeout {
		add("drain-timeout", f.drainTimeout.String())
	}
	return out
}

// env is what resolve reads from the machine.
type env struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	// moduleRoot returns the checkout holding go.mod, for -local's default
	// data dir.
	moduleRoot func() (string, error)
}

func osEnv() env {
	return env{getenv: os.Getenv, readFile: os.ReadFile, moduleRoot: moduleRoot}
}

// errUsage marks an error of the command line or of the outputs file:
// nothing was done.
var errUsage = errors.New("usage")

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

// resolve turns the flags into the target: the outputs file first, then
// the flags over it.
func (f *targetFlags) resolve(e env) (target, error) {
	t := target{Endpoints: map[string]string{}, CognitoEndpoints: map[string]string{}, CallTimeout: f.callTimeout, DrainTimeout: f.drainTimeout}
	if f.callTimeout <= 0 || f.drainTimeout <= 0 {
		return target{}, usageErr("-call-timeout and -drain-timeout must be positive")
	}
	outputs, secretFile, err := f.sourceFiles(e)
	if err != nil {
		return target{}, err
	}
	if outputs != "" {
		if err := f.applyOutputs(e, outputs, &t); err != nil {
			return target{}, err
		}
	}
	if err := f.applyFlags(&t); err != nil {
		return target{}, err
	}
	if err := checkTarget(t); err != nil {
		return target{}, err
	}
	if t.HomeRegion == "" {
		t.HomeRegion = t.Regions[0] // the outputs list the home region first
	}
	if len(t.Endpoints) == 0 && len(t.CognitoEndpoints) == 0 {
		return t, nil // AWS: default credentials, never a local secret
	}
	if err := loadSecret(e, secretFile, &t); err != nil {
		return target{}, err
	}
	return t, nil
}

// sourceFiles returns the outputs file and the secret file the flags name,
// with -local standing for its data dir's files, and rejects the flags that
// go only with -local when it is not given.
func (f *targetFlags) sourceFiles(e env) (outputs, secretFile string, err error) {
	outputs, secretFile = f.outputs, f.secretFile
	switch {
	case f.local && f.outputs != "":
		return "", "", usageErr("give -local or -outputs, not both")
	case f.local:
		dir, err := f.localDataDir(e)
		if err != nil {
			return "", "", err
		}
		outputs = filepath.Join(dir, outputsFileName)
		if secretFile == "" {
			secretFile = filepath.Join(dir, secretFileName)
		}
	case f.dataDir != "" || f.stack != "":
		return "", "", usageErr("-data-dir and -stack go with -local")
	}
	return outputs, secretFile, nil
}

// applyOutputs reads and parses the outputs file and sets the target's
// table, regions, endpoints and identity from it.
func (f *targetFlags) applyOutputs(e env, outputs string, t *target) error {
	b, err := e.readFile(outputs)
	if err != nil {
		if f.local {
			return usageErr("read the local stack's outputs: %v (is hush-local running on that data dir?)", err)
		}
		return usageErr("read the outputs file: %v", err)
	}
	o, err := parseOutputs(b)
	if err != nil {
		return usageErr("outputs file %s: %v", outputs, err)
	}
	t.Table, t.Regions, t.Endpoints = o.table, o.regions, o.endpoints
	t.UserPool, t.HomeRegion, t.ReplicaRegion, t.CognitoEndpoints = o.userPool, o.homeRegion, o.replicaRegion, o.cognito
	return nil
}

// applyFlags sets -table, -regions and -endpoint over what the outputs
// file gave the target.
func (f *targetFlags) applyFlags(t *target) error {
	if f.table != "" {
		t.Table = f.table
	}
	if f.regions != "" {
		t.Regions = nil
		for _, r := range strings.Split(f.regions, ",") {
			t.Regions = append(t.Regions, strings.TrimSpace(r))
		}
		if err := checkRegions(t.Regions); err != nil {
			return usageErr("-regions: %v", err)
		}
	}
	for r, u := range f.endpoints {
		t.Endpoints[r] = u
	}
	return nil
}

// checkTarget rejects a target without a table or regions, with a
// malformed table name, or with endpoints that do not match its regions.
func checkTarget(t target) error {
	switch {
	case t.Table == "" && len(t.Regions) == 0:
		return usageErr("which stack? give -outputs FILE (a saved `pulumi stack output --json`), -local, or -table and -regions")
	case t.Table == "":
		return usageErr("no table: give -table hush-<stack> or -outputs FILE")
	case len(t.Regions) == 0:
		return usageErr("no regions: give -regions (every region of the stack, comma-separated) or -outputs FILE")
	}
	if !tableName.MatchString(t.Table) {
		return usageErr("table %q: want 3-255 letters, digits, '_', '-' or '.'", t.Table)
	}
	if err := checkEndpoints(t.Endpoints, t.Regions); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// loadSecret sets the target's secret from the secret file, else from the
// one in $HUSH_LOCAL_DATA_DIR; with neither it leaves the secret empty for
// AWS's default credentials, but refuses a loopback endpoint, which is a
// local stack's and wants its requests signed with that stack's secret.
func loadSecret(e env, secretFile string, t *target) error {
	if secretFile == "" {
		if dir := e.getenv(dataDirEnv); dir != "" {
			secretFile = filepath.Join(dir, secretFileName)
		}
	}
	if secretFile == "" {
		if err := refuseLoopback(t.Endpoints); err != nil {
			return err
		}
		if err := refuseLoopback(t.CognitoEndpoints); err != nil {
			return err
		}
		return nil // custom endpoints of AWS: default credentials
	}
	b, err := e.readFile(secretFile)
	if err != nil {
		return usageErr("read the local stack's secret: %v", err)
	}
	if t.Secret = strings.TrimSpace(string(b)); t.Secret == "" {
		return usageErr("the secret file %s is empty", secretFile)
	}
	return nil
}

// refuseLoopback returns a usage error naming the first loopback endpoint
// it finds, since without a secret file a local stack's emulators cannot be
// called.
func refuseLoopback(endpoints map[string]string) error {
	for r, u := range endpoints {
		if loopback(u) {
			return usageErr("the endpoint of %s, %s, is a local stack's, whose emulators want requests signed with its data dir's secret: give -secret-file <data dir>/%s (or -local, or $%s)", r, u, secretFileName, dataDirEnv)
		}
	}
	return nil
}

// localDataDir is -data-dir, else $HUSH_LOCAL_DATA_DIR, else the default
// data dir of -stack in the checkout.
func (f *targetFlags) localDataDir(e env) (string, error) {
	if f.dataDir != "" {
		return f.dataDir, nil
	}
	if f.stack == "" {
		if dir := e.getenv(dataDirEnv); dir != "" {
			return dir, nil
		}
	}
	root, err := e.moduleRoot()
	if err != nil {
		return "", usageErr("-local: no -data-dir, no $%s, and %v", dataDirEnv, err)
	}
	stack := f.stack
	if stack == "" {
		stack = "dev"
	}
	return filepath.Join(root, filepath.FromSlash(defaultLocalDirs), stack), nil
}

// moduleRoot returns the nearest directory above the working directory
// that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run it in the checkout")
		}
		dir = parent
	}
}

// tableName is what DynamoDB accepts as a table's name.
var tableName = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// outputs is what hush-ops reads of a stack's outputs.
type outputs struct {
	table     string
	regions   []string
	endpoints map[string]string
	// userPool, homeRegion and replicaRegion are the user pool's; cognito
	// is a local stack's Cognito endpoints. Each may be absent.
	userPool, homeRegion, replicaRegion string
	cognito                             map[string]string
}

// parseOutputs reads the JSON object `pulumi stack output --json` prints.
// Every other output is ignored, but a name close to one hush-ops reads
// is taken for a typo of it and refused, naming both.
func parseOutputs(b []byte) (outputs, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return outputs{}, errors.New("it is empty: save it with `pulumi stack output --json > FILE`")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return outputs{}, fmt.Errorf("not the JSON object `pulumi stack output --json` prints: %w", err)
	}
	known := []string{outputTable, outputRegions, outputEndpoints, outputUserPool, outputHomeRegion, outputReplicaRegion, outputCognito}
	for name := range raw {
		if slices.Contains(known, name) {
			continue
		}
		if near := nearest(name, known); near != "" {
			return outputs{}, fmt.Errorf("%q is no output hush-ops knows; did you mean %q?", name, near)
		}
	}
	var o outputs
	for _, name := range []string{outputTable, outputRegions} {
		if _, ok := raw[name]; !ok {
			return outputs{}, fmt.Errorf("no %q: is it `pulumi stack output --json` of a Hush stack?", name)
		}
	}
	if err := decodeOutput(raw, outputTable, "a string, the table's name", &o.table); err != nil {
		return outputs{}, err
	}
	if o.table == "" || o.table == "[secret]" {
		return outputs{}, fmt.Errorf("%q is %q, want the table's name", outputTable, o.table)
	}
	if err := decodeOutput(raw, outputRegions, "a list of region names", &o.regions); err != nil {
		return outputs{}, err
	}
	if err := checkRegions(o.regions); err != nil {
		return outputs{}, fmt.Errorf("%q: %w", outputRegions, err)
	}
	if _, ok := raw[outputEndpoints]; ok {
		if err := decodeOutput(raw, outputEndpoints, "an object of region to URL", &o.endpoints); err != nil {
			return outputs{}, err
		}
		if err := checkEndpoints(o.endpoints, o.regions); err != nil {
			return outputs{}, fmt.Errorf("%q: %w", outputEndpoints, err)
		}
	}
	if o.endpoints == nil {
		o.endpoints = map[string]string{}
	}
	if err := o.parseIdentity(raw); err != nil {
		return outputs{}, err
	}
	return o, nil
}

// parseIdentity reads the user pool's outputs, each optional: the home
// region must be the first of the regions, and the replica region another
// of them, as hush:identityReplicaRegion.
func (o *outputs) parseIdentity(raw map[string]json.RawMessage) error {
	for _, f := range []struct {
		name, want string
		v          *string
	}{
		{outputUserPool, "a string, the user pool's ID", &o.userPool},
		{outputHomeRegion, "a string, the home region", &o.homeRegion},
		{outputReplicaRegion, "a string, the user pool replica's region", &o.replicaRegion},
	} {
		if _, ok := raw[f.name]; ok {
			if err := decodeOutput(raw, f.name, f.want, f.v); err != nil {
				return err
			}
		}
	}
	if o.userPool == "[secret]" {
		return fmt.Errorf("%q is %q, want the user pool's ID", outputUserPool, o.userPool)
	}
	if o.homeRegion != "" && o.homeRegion != o.regions[0] {
		return fmt.Errorf("%q is %q but %q lists %q first: the outputs do not agree", outputHomeRegion, o.homeRegion, outputRegions, o.regions[0])
	}
	if r := o.replicaRegion; r != "" {
		switch {
		case !slices.Contains(o.regions, r):
			return fmt.Errorf("%q is %q, not one of the stack's regions %s", outputReplicaRegion, r, strings.Join(o.regions, ", "))
		case r == o.regions[0]:
			return fmt.Errorf("%q is %q, the home region, which holds the primary: want another region", outputReplicaRegion, r)
		}
	}
	o.cognito = map[string]string{}
	if _, ok := raw[outputCognito]; ok {
		if err := decodeOutput(raw, outputCognito, "an object of region to URL", &o.cognito); err != nil {
			return err
		}
		if err := checkEndpoints(o.cognito, o.regions); err != nil {
			return fmt.Errorf("%q: %w", outputCognito, err)
		}
	}
	return nil
}

// decodeOutput decodes the output name into v, or says what it is and
// what it should be.
func decodeOutput(raw map[string]json.RawMessage, name, want string, v any) error {
	if err := json.Unmarshal(raw[name], v); err != nil {
		return fmt.Errorf("%q is %s, want %s", name, jsonKind(raw[name]), want)
	}
	return nil
}

// jsonKind names the kind of a JSON value.
func jsonKind(b json.RawMessage) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '"':
		return "a string"
	case '[':
		return "a list"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// checkRegions refuses an empty list, a duplicate and a name that is no
// region a stack may use, suggesting the nearest.
func checkRegions(regions []string) error {
	if len(regions) == 0 {
		return errors.New("no region")
	}
	known := stackconfig.KnownRegions()
	for i, r := range regions {
		switch {
		case slices.Contains(regions[:i], r):
			return fmt.Errorf("%q is listed twice", r)
		case !slices.Contains(known, r):
			msg := fmt.Sprintf("%q is no region a Hush stack may use", r)
			if near := nearest(r, known); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			return errors.New(msg)
		}
	}
	return nil
}

// checkEndpoints refuses an endpoint of a region the stack lacks and one
// that is not an http(s) URL.
func checkEndpoints(endpoints map[string]string, regions []string) error {
	for _, r := range slices.Sorted(maps.Keys(endpoints)) {
		if !slices.Contains(regions, r) {
			msg := fmt.Sprintf("endpoint of %q: not one of the stack's regions %s", r, strings.Join(regions, ", "))
			if near := nearest(r, regions); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			return errors.New(msg)
		}
		u, err := url.Parse(endpoints[r])
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("endpoint of %s: %q is not an http(s) URL", r, endpoints[r])
		}
	}
	return nil
}

// loopback reports whether rawURL names this machine: a local stack.
func loopback(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// nearest returns the candidate closest to s, ignoring case, when it is
// close enough to be taken for a typo of it; "" otherwise.
func nearest(s string, candidates []string) string {
	best, bestDist := "", 4
	for _, c := range candidates {
		if d := levenshtein.Distance(strings.ToLower(s), strings.ToLower(c), nil); d < bestDist && d < len(c)/2+1 {
			best, bestDist = c, d
		}
	}
	return best
}
