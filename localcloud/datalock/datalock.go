// Package datalock keeps two local stacks off one data directory. Two
// DynamoDB Local processes on one database file corrupt it, and two
// cognito-local servers overwrite each other's users, so the first
// hush-local to start takes an exclusive lock on a file in the directory
// and the second is refused with the first one's PID and ports.
//
// The lock is flock(2) on DataDir/hush-local.lock: the kernel drops it when
// the holder exits, however it exits, so a crashed stack never leaves a
// stale lock behind. The file also records, as JSON, where the running
// stack listens, which `hush-local token` reads to find it.
package datalock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the lock file in the data directory.
const FileName = "hush-local.lock"

// State is what the lock file records about the stack that holds it.
type State struct {
	PID   int    `json:"pid"`
	Stack string `json:"stack,omitempty"`
	// Gateways maps each region to its stage URL.
	Gateways         map[string]string `json:"gateways,omitempty"`
	HomeRegion       string            `json:"homeRegion,omitempty"`
	CognitoEndpoint  string            `json:"cognitoEndpoint,omitempty"`
	DynamoDBEndpoint string            `json:"dynamoDBEndpoint,omitempty"`
	UserPoolID       string            `json:"userPoolId,omitempty"`
	UserPoolClientID string            `json:"userPoolClientId,omitempty"`
	// StatusURL is the status page, beside which the drill controls sit.
	StatusURL string `json:"statusUrl,omitempty"`
	// IdentityReplicaRegion and IdentityReplicaEndpoint are the user
	// pool's secondary replica, where clients sign in when the home
	// region's Cognito does not answer; empty without one.
	IdentityReplicaRegion   string `json:"identityReplicaRegion,omitempty"`
	IdentityReplicaEndpoint string `json:"identityReplicaEndpoint,omitempty"`
}

// Lock is a held lock on a data directory.
type Lock struct {
	f *os.File
}

// BusyError reports that another stack holds the data directory.
type BusyError struct {
	Dir   string
	State State
}

func (e *BusyError) Error() string {
	s := e.State
	var where []string
	for region, u := range s.Gateways {
		where = append(where, region+" "+u)
	}
	if s.DynamoDBEndpoint != "" {
		where = append(where, "DynamoDB Local "+s.DynamoDBEndpoint)
	}
	if s.CognitoEndpoint != "" {
		where = append(where, "cognito-local "+s.CognitoEndpoint)
	}
	ports := "still starting"
	if len(where) > 0 {
		ports = strings.Join(where, ", ")
	}
	return fmt.Sprintf("data dir %s is in use by the local stack of PID %d (%s): stop it first, or give this one another -data-dir", e.Dir, s.PID, ports)
}

// Acquire locks dir (creating it if needed) for this process and records
// its PID, or returns a *BusyError naming the holder. It makes dir private
// first (see makePrivate), or returns a *NotPrivateError when dir belongs
// to another user or others may write it.
func Acquire(dir string) (*Lock, error) {
	if err := makePrivate(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateFileMode)
	if err != nil {
		return nil, fmt.Errorf("datalock: open %s: %w", path, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("datalock: lock %s: %w", path, err)
	}
	if !held {
		st, _ := readState(f) // a holder still writing its state is still named by this error
		f.Close()
		return nil, &BusyError{Dir: dir, State: st}
	}
	l := &Lock{f: f}
	if err := l.Record(State{PID: os.Getpid()}); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// Record replaces the recorded state; the PID is always this process's.
func (l *Lock) Record(st State) error {
	st.PID = os.Getpid()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("datalock: encode state: %w", err)
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("datalock: record state: %w", err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("datalock: record state: %w", err)
	}
	return nil
}

// Release unlocks the directory. The file stays, holding the last state,
// which nobody trusts without the lock. Releasing twice does nothing.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = unlock(l.f) // closing releases it anyway
	l.f.Close()
	l.f = nil
}

// ErrNotRunning means no stack holds the data directory.
var ErrNotRunning = errors.New("no local stack is running on this data dir")

// Running returns the state of the stack that holds dir's lock, or
// ErrNotRunning when none does. It trusts only a dir and lock file of this
// user that no one else may write (a *NotPrivateError otherwise): the
// state names the endpoint `hush-local token` sends a password to.
func Running(dir string) (State, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return State{}, fmt.Errorf("%w (%s)", ErrNotRunning, dir)
	}
	if err := checkPrivate(dir, true, os.Getuid()); err != nil {
		return State{}, err
	}
	if err := checkPrivate(path, false, os.Getuid()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return State{}, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return State{}, fmt.Errorf("%w (%s)", ErrNotRunning, dir)
	}
	if err != nil {
		return State{}, fmt.Errorf("datalock: open %s: %w", path, err)
	}
	defer f.Close()
	held, err := tryLock(f)
	if err != nil {
		return State{}, fmt.Errorf("datalock: lock %s: %w", path, err)
	}
	if held {
		_ = unlock(f)
		return State{}, fmt.Errorf("%w (%s)", ErrNotRunning, dir)
	}
	st, err := readState(f)
	if err != nil {
		return State{}, fmt.Errorf("datalock: read %s: %w", path, err)
	}
	return st, nil
}

func readState(f *os.File) (State, error) {
	var st State
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("decode: %w", err)
	}
	return st, nil
}
