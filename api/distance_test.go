package api

import (
	"testing"
	"time"

	"github.com/hush-scores/hush/localcloud/distance"
	"github.com/hush-scores/hush/localcloud/regionnet"
	"github.com/hush-scores/hush/stackconfig"
)

// TestBoundsHoldProdsFarthestPairCold checks the bounds that cross regions
// against prod's regions as its stack file lists them, on a cold
// connection (the first call of a new Lambda environment): the handshakes
// and the request's own round trips, as the local cloud's links model them,
// may take at most half of each bound, leaving the rest for DNS, DynamoDB's
// own time and a small function's share of a CPU, none of which the links
// model. Adding a farther region to prod, or shrinking a bound, fails here.
func TestBoundsHoldProdsFarthestPairCold(t *testing.T) {
	prod, err := stackconfig.LoadFile(stackconfig.File("..", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	a, b, rtt, ok := distance.Farthest(prod.Regions)
	if !ok {
		t.Fatalf("the round-trip table lacks a pair of prod's regions %v", prod.Regions)
	}
	t.Logf("prod's farthest pair: %s and %s, %s apart", a, b, rtt)
	handshakes := regionnet.HandshakeRoundTrips * rtt
	tests := []struct {
		name  string
		bound time.Duration
		// trips are the round trips of the requests the bound covers.
		trips int
		// under is a promise the bound must also keep.
		under time.Duration
	}{
		// One GetItem of the write region's replica.
		{"write-path probe", writeProbeTimeout, 1, time.Second},
		// A replace: a strongly consistent GetItem, then the transaction.
		{"write", DefaultWriteTimeout, 2, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			network := handshakes + time.Duration(tt.trips)*rtt
			if 2*network > tt.bound {
				t.Errorf("bound %s: a cold call from %s to %s spends %s on the network alone, more than half of it", tt.bound, a, b, network)
			}
			if tt.bound >= tt.under {
				t.Errorf("bound %s, want under %s", tt.bound, tt.under)
			}
		})
	}
}
