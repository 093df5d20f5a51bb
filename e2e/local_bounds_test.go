package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/hush-scores/hush/localcloud"
)

// busyMachineWriteBound is the write bound of the tests that are about
// what writes store, not how fast: on a shared 2-core machine one DynamoDB
// Local serves every region's transactions, and under a few dozen
// concurrent writers one of them can take longer than the cloud's whole
// write bound, which turns a correct write into a 503 that AWS, whose
// transactions take milliseconds, would not give.
const busyMachineWriteBound = 10 * time.Second

// loosenWriteBound gives the calling test busyMachineWriteBound on the
// local stack, says so with the reason, and puts the cloud's bound back
// when the test ends. Against a deployed stack it does nothing: the
// cloud's bound holds there.
func loosenWriteBound(t *testing.T, why string) {
	t.Helper()
	if localStack == nil {
		return
	}
	if err := localStack.SetWriteTimeout(t.Context(), busyMachineWriteBound); err != nil {
		t.Fatalf("set the write bound: %v", err)
	}
	t.Logf("write bound: %v instead of the cloud's %v, because %s", busyMachineWriteBound, localcloud.DefaultWriteTimeout, why)
	t.Cleanup(func() {
		if err := localStack.SetWriteTimeout(context.Background(), 0); err != nil {
			t.Errorf("put the cloud's write bound back: %v", err)
		}
	})
}
