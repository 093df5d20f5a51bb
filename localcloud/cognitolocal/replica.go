package cognitolocal

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hush-scores/hush/internal/child"
	"github.com/hush-scores/hush/internal/loopguard"
)

// DefaultReplicaDelay is how long the directory takes to reach the
// secondary by default. AWS gives no figure ("Data replication between
// Regions might introduce short delays ... this process is eventually
// consistent", developer guide); a second keeps tests quick and the delay
// visible.
const DefaultReplicaDelay = time.Second

// ReplicaOptions configure StartReplica.
type ReplicaOptions struct {
	// Set is the replica set; Set.Secondary is this replica's region.
	Set *ReplicaSet
	// Primary is the primary's server, and PrimaryDir its Options.Dir: the
	// directory is read from the primary's data files, and not while the
	// primary is dark.
	Primary    *Server
	PrimaryDir string
	// Dir keeps the replica's data; Port, ModuleRoot, Log, StartTimeout and
	// Secret are as in Options.
	Dir          string
	Port         int
	ModuleRoot   string
	Log          io.Writer
	StartTimeout time.Duration
	Secret       string
	// IssuerDomain is as in Options: the primary's for a multi-Region
	// issuer, empty for the replica's own.
	IssuerDomain string
	// Delay is how long a change of the primary's directory waits before
	// the replica serves it; 0 means DefaultReplicaDelay.
	Delay time.Duration
	// Poll is how often the primary's files are read; 0 means 200ms.
	Poll time.Duration
	// Failed reports a replica that can no longer follow the primary (its
	// process would not start); nil ignores it.
	Failed func(error)
}

// Replica is a secondary replica of a user pool: its own cognito-local,
// whose endpoint stands in for Cognito's in the secondary's region.
//
// cognito-local has no import and keeps its data in memory, writing it to
// JSON files on every change and reading them only at start. The
// directory therefore reaches the replica as the primary's files: once a
// change has waited the delay, a new cognito-local starts on a copy of
// them, the guard sends requests to it, and the old one stops. A copy
// carries everything as it is (each user's sub, which owns matches,
// password, status, attributes and groups), which a replay through the
// admin API could not: AdminCreateUser makes a new sub, and the primary's
// passwords are not for reading. What the replica itself wrote (refresh
// tokens it issued) is kept across copies.
type Replica struct {
	// Endpoint is the base URL to give the Cognito client as its endpoint.
	Endpoint string
	// Port is the port clients use at 127.0.0.1, the guard's.
	Port int

	opts         ReplicaOptions
	node, entry  string
	issuerDomain string
	guard        *guardServer
	target       atomic.Pointer[url.URL]

	// mu guards proc, gen and synced.
	mu     sync.Mutex
	proc   *child.Process
	gen    int
	synced time.Time

	// end stops following; done is closed when following has stopped.
	end  context.CancelFunc
	done chan struct{}
}

// StartReplica starts the secondary on a copy of the primary's directory
// as it is now, and follows the primary's changes until Close.
func StartReplica(ctx context.Context, opts ReplicaOptions) (*Replica, error) {
	if opts.Set == nil || opts.Primary == nil || opts.PrimaryDir == "" || opts.Dir == "" {
		return nil, errors.New("cognito-local replica: Set, Primary, PrimaryDir and Dir are required")
	}
	node, entry, port, err := prepare(ctx, opts.ModuleRoot, opts.Port, "cognito-local (identity replica)")
	if err != nil {
		return nil, err
	}
	// Generations of an earlier run are stale: the first copy is made now.
	if err := os.RemoveAll(opts.Dir); err != nil {
		return nil, fmt.Errorf("cognito-local replica: clear %s: %w", opts.Dir, err)
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	r := &Replica{
		Endpoint: endpoint, Port: port, opts: opts, node: node, entry: entry,
		issuerDomain: cmp.Or(opts.IssuerDomain, endpoint),
		done:         make(chan struct{}),
	}
	files, err := r.readPrimary()
	if err != nil {
		return nil, err
	}
	if err := r.apply(ctx, files); err != nil {
		return nil, err
	}
	l, err := loopguard.Listen(port)
	if err != nil {
		_ = r.stopProc() // the listen error says more
		return nil, fmt.Errorf("cognito-local replica: %w", err)
	}
	next := secondary(opts.Set, loopguard.ReverseProxy(r.target.Load))
	handler := loopguard.GuardWith(opts.Set.Handler(next), loopguard.ProxyOptions{Secret: opts.Secret, Anonymous: Anonymous})
	r.guard = &guardServer{name: "cognito-local replica", addr: l.Addr().String(), handler: handler}
	r.guard.serve(l)
	// Following lasts until Close, not as long as Start's ctx.
	life, end := context.WithCancel(context.WithoutCancel(ctx))
	r.end = end
	go r.follow(life, files)
	return r, nil
}

// Issuer returns the iss claim of the tokens the replica issues.
func (r *Replica) Issuer(poolID string) string { return r.issuerDomain + "/" + poolID }

// JWKSURL returns where the replica serves the pool's signing keys.
func (r *Replica) JWKSURL(poolID string) string {
	return r.Endpoint + "/" + poolID + "/.well-known/jwks.json"
}

// SetDark takes the replica's endpoint away or brings it back, as
// Server.SetDark; the replica keeps following the primary.
func (r *Replica) SetDark(dark bool) error { return r.guard.setDark(dark) }

// Synced returns when the replica last started serving a copy of the
// primary's directory.
func (r *Replica) Synced() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.synced
}

// Close stops following the primary and stops the replica.
func (r *Replica) Close() error {
	r.end()
	<-r.done
	r.guard.close()
	return r.stopProc()
}

func (r *Replica) stopProc() error {
	r.mu.Lock()
	p := r.proc
	r.proc = nil
	r.mu.Unlock()
	if p == nil {
		return nil
	}
	if err := p.Stop(5 * time.Second); err != nil {
		return fmt.Errorf("cognito-local replica: %w", err)
	}
	return nil
}

// snapshot is the primary's data files, by name under .cognito/db, and
// key, what of them makes the directory: everything but the refresh
// tokens, which cognito-local adds to a user at every sign-in. A sign-in
// at the primary is therefore no change to replicate; its refresh token
// travels with the next change of the directory.
type snapshot struct {
	files map[string][]byte
	key   string
}

func (s *snapshot) same(o *snapshot) bool { return s != nil && o != nil && s.key == o.key }

// directoryKey returns the files without the users' refresh tokens, in
// a stable encoding (json.Marshal sorts map keys).
func directoryKey(files map[string][]byte) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(files)) {
		var v map[string]any
		if json.Unmarshal(files[name], &v) != nil {
			b.Write(files[name])
			continue
		}
		if users, ok := v["Users"].(map[string]any); ok {
			for _, u := range users {
				if m, ok := u.(map[string]any); ok {
					delete(m, "RefreshTokens")
				}
			}
		}
		enc, _ := json.Marshal(v) // it was just decoded
		b.WriteString(name)
		b.Write(enc)
	}
	return b.String()
}

// readPrimary reads the primary's app clients and the pool's users and
// groups. A file caught half written is no JSON: the next poll reads it
// whole.
func (r *Replica) readPrimary() (*snapshot, error) {
	db := filepath.Join(r.opts.PrimaryDir, ".cognito", "db")
	files := map[string][]byte{}
	for _, name := range []string{"clients.json", r.opts.Set.PoolID + ".json"} {
		b, err := os.ReadFile(filepath.Join(db, name))
		if err != nil {
			return nil, fmt.Errorf("cognito-local replica: read the primary's %s: %w", name, err)
		}
		if !json.Valid(b) {
			return nil, fmt.Errorf("cognito-local replica: the primary's %s is being written", name)
		}
		files[name] = b
	}
	return &snapshot{files: files, key: directoryKey(files)}, nil
}

// follow polls the primary and applies each change once it has waited
// the delay; a change seen while an older one waits replaces it and waits
// its own delay from when it was seen, so the replica is never further
// behind than the delay plus a start-up. Nothing is read while the
// primary is dark: a lost region replicates nothing.
func (r *Replica) follow(life context.Context, applied *snapshot) {
	defer close(r.done)
	delay := cmp.Or(r.opts.Delay, DefaultReplicaDelay)
	tick := time.NewTicker(cmp.Or(r.opts.Poll, 200*time.Millisecond))
	defer tick.Stop()
	var pending *snapshot
	var seen time.Time
	for {
		select {
		case <-life.Done():
			return
		case <-tick.C:
		}
		if r.exited() {
			// The replica's process died on its own: start it again on
			// what it served, rather than leave its port answering 502.
			if r.opts.Failed != nil {
				r.opts.Failed(errors.New("cognito-local replica: the process exited on its own; starting it again"))
			}
			pending, seen = applied, time.Time{}
		}
		if !r.opts.Primary.Dark() {
			if s, err := r.readPrimary(); err == nil && !s.same(applied) && !s.same(pending) {
				pending, seen = s, time.Now()
			}
		}
		if pending == nil || time.Since(seen) < delay {
			continue
		}
		ctx, cancel := context.WithTimeout(life, 60*time.Second)
		err := r.apply(ctx, pending)
		cancel()
		if err != nil {
			if r.opts.Failed != nil {
				r.opts.Failed(err)
			}
			continue // the next poll tries again
		}
		applied, pending = pending, nil
	}
}

// apply starts a cognito-local on a copy of s, merged with what the
// running replica wrote, sends requests to it and stops the one before.
func (r *Replica) apply(ctx context.Context, s *snapshot) error {
	r.mu.Lock()
	gen := r.gen + 1
	old := r.proc
	oldDir := r.genDir(r.gen)
	r.mu.Unlock()
	dir := r.genDir(gen)
	if err := writeConfig(dir, r.issuerDomain); err != nil {
		return err
	}
	db := filepath.Join(dir, ".cognito", "db")
	if err := os.MkdirAll(db, 0o700); err != nil {
		return fmt.Errorf("cognito-local replica: %w", err)
	}
	for name, b := range s.files {
		if old != nil && name == r.opts.Set.PoolID+".json" {
			b = keepReplicaTokens(b, filepath.Join(oldDir, ".cognito", "db", name))
		}
		if err := os.WriteFile(filepath.Join(db, name), b, 0o600); err != nil {
			return fmt.Errorf("cognito-local replica: write %s: %w", name, err)
		}
	}
	proc, inner, err := launch(ctx, r.node, r.entry, dir, r.opts.Log, r.opts.StartTimeout)
	if err != nil {
		return fmt.Errorf("cognito-local replica: %w", err)
	}
	r.target.Store(inner)
	r.mu.Lock()
	r.proc, r.gen, r.synced = proc, gen, time.Now()
	r.mu.Unlock()
	if old != nil {
		// Requests already sent to the old one get a moment to finish.
		time.Sleep(500 * time.Millisecond)
		_ = old.Stop(5 * time.Second) // it served its last request; how it ends says nothing
		_ = os.RemoveAll(oldDir)
	}
	return nil
}

// PID returns the process ID (also the process group) of the process
// serving now; it changes with every copy. 0 once closed.
func (r *Replica) PID() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc == nil {
		return 0
	}
	return r.proc.PID()
}

// exited reports whether the serving process has exited.
func (r *Replica) exited() bool {
	r.mu.Lock()
	p := r.proc
	r.mu.Unlock()
	if p == nil {
		return false
	}
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

func (r *Replica) genDir(gen int) string {
	return filepath.Join(r.opts.Dir, "gen-"+strconv.Itoa(gen))
}

// keepReplicaTokens returns the primary's pool file with the refresh
// tokens the replica issued (read from its own file at path) added to
// their users, so a copy does not revoke what the replica handed out.
// Anything unreadable leaves the primary's file as it is.
func keepReplicaTokens(primary []byte, path string) []byte {
	mine, err := os.ReadFile(path)
	if err != nil {
		return primary
	}
	var p, m map[string]json.RawMessage
	if json.Unmarshal(primary, &p) != nil || json.Unmarshal(mine, &m) != nil {
		return primary
	}
	var pUsers, mUsers map[string]map[string]any
	if json.Unmarshal(p["Users"], &pUsers) != nil || json.Unmarshal(m["Users"], &mUsers) != nil {
		return primary
	}
	changed := false
	for name, mu := range mUsers {
		pu, ok := pUsers[name]
		if !ok {
			continue
		}
		have := map[any]bool{}
		pt, _ := pu["RefreshTokens"].([]any)
		for _, t := range pt {
			have[t] = true
		}
		mt, _ := mu["RefreshTokens"].([]any)
		for _, t := range mt {
			if !have[t] {
				pt = append(pt, t)
				changed = true
			}
		}
		pu["RefreshTokens"] = pt
	}
	if !changed {
		return primary
	}
	users, err := json.Marshal(pUsers)
	if err != nil {
		return primary
	}
	p["Users"] = users
	out, err := json.Marshal(p)
	if err != nil {
		return primary
	}
	return out
}
