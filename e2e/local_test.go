package e2e

// The local stack the suite starts when no deployed one is named, and the
// helpers of the tests that reach into it (the local_*_test.go files).

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hush-scores/hush/localcloud"
)

// localStack is the local stack the suite started, nil against a deployed
// one; only tests that need its emulators (faults, docs) use it.
var localStack *localcloud.Stack

// startLocal starts every region of the prod stack on this machine, on
// free ports and a temporary data dir that closing it removes.
func startLocal(ctx context.Context) (target, *localcloud.Stack, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	// A replication delay of a few hundred ms makes the race windows of
	// the multi-region tests real. Every bound is the cloud's (the write
	// bound is the Lambda functions', localcloud.DefaultWriteTimeout): a
	// test that needs more on a busy machine sets it and says so.
	s, err := localcloud.StartTemp(ctx, localcloud.Options{
		Stack: "prod", Progress: os.Stderr,
		FrontDoor:        localcloud.FrontDoorOptions{CheckInterval: drillCheckInterval, CheckThreshold: drillCheckThreshold},
		ReplicationDelay: 300 * time.Millisecond,
	})
	if err != nil {
		return target{}, nil, fmt.Errorf("start a local stack (set HUSH_APIGW_URL or HUSH_STACK_OUTPUTS to test a deployed one): %w", err)
	}
	return localTarget(s.Info(), "a local prod stack"), s, nil
}

// localTarget is the target of a local stack.
func localTarget(info localcloud.Info, source string) target {
	t := target{
		URLs: map[string]string{}, Home: info.HomeRegion, PoolID: info.UserPoolID, ClientID: info.UserPoolClientID,
		CognitoEndpoint: info.CognitoEndpoint, Source: source,
		DynamoDBEndpoint: info.DynamoDBEndpoint, Table: info.Table, Secret: info.Secret,
		// The stack read hush:selfSignUp from Pulumi.<stack>.yaml (package
		// stackconfig) and its cognito-local applies it.
		SelfSignUp: info.SelfSignUp, signUpKnown: "hush:selfSignUp in Pulumi." + info.Stack + ".yaml",
		IdentityReplicaRegion: info.IdentityReplicaRegion, IdentityReplicaEndpoint: info.IdentityReplicaEndpoint,
	}
	for _, r := range info.Regions {
		t.URLs[r.Name] = r.URL
	}
	return t
}

// requireLocal returns the local stack the suite started. Tests that stop
// its emulators or read what only it serves cannot apply to a deployed
// stack, whose table the suite cannot stop: there they skip, saying so. A
// run without HUSH_APIGW_URL and HUSH_STACK_OUTPUTS (the default, and CI's
// e2e job) always has a local stack, so they always run there.
//
// TestMain reports how many tests skipped so, and which, at the end of the
// run, so a run against a deployed stack never reads as a full pass.
func requireLocal(t *testing.T, why string) *localcloud.Stack {
	t.Helper()
	if localStack == nil {
		localOnlySkips.add(t.Name())
		t.Skipf("%s, which only the local stack started by the suite allows; the target is %s", why, tgt.Source)
	}
	return localStack
}

// localOnlySkips lists the tests requireLocal skipped.
var localOnlySkips skipList

type skipList struct {
	mu    sync.Mutex
	names []string
}

func (l *skipList) add(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = append(l.names, name)
}

func (l *skipList) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.names)
}

// drain waits until no replication link has a backlog.
func drain(t *testing.T, s *localcloud.Stack) {
	t.Helper()
	deadline := time.Now().Add(convergeBound)
	quiet := 0
	for quiet < 3 {
		busy := false
		for _, l := range s.ReplicationLinks() {
			busy = busy || l.Backlog > 0
		}
		if busy {
			quiet = 0
		} else {
			quiet++
		}
		if time.Now().After(deadline) {
			t.Fatalf("replication never drained: %+v", s.ReplicationLinks())
		}
		time.Sleep(s.ReplicationDelay()/2 + 50*time.Millisecond)
	}
}

// settle waits for replication before a test reads in every region what
// it has just written or deleted: on the local stack until no link has a
// backlog, on a deployed multi-region stack for a few seconds (global
// tables usually replicate within one).
func settle(t *testing.T) {
	t.Helper()
	switch {
	case localStack != nil:
		drain(t, localStack)
	case len(tgt.regions()) > 1:
		time.Sleep(5 * time.Second)
	}
}

// replicationDelay describes the target's replication delay for a figure.
func replicationDelay() string {
	if localStack != nil {
		return localStack.ReplicationDelay().String()
	}
	return "the deployed stack's"
}
