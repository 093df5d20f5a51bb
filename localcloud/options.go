package localcloud

import (
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hush-scores/hush/localcloud/waf"
	"github.com/hush-scores/hush/stackconfig"
)

// Options configure Start.
type Options struct {
	// Stack names the stack (dev, stage, prod): the stage name, the table
	// (hush-<stack>) and the user pool are named after it.
	Stack string
	// Regions are the regions to serve, the first being the home region.
	// Empty means the regions of Pulumi.<stack>.yaml in the module root.
	Regions []string
	// DataDir keeps the emulators' data between runs; empty means
	// .hush/local/<stack> under the module root.
	DataDir string
	// Clean wipes the data of earlier runs first.
	Clean bool
	// BasePort is the port of the first region's gateway; the others follow,
	// DynamoDB Local takes BasePort+10 and cognito-local BasePort+11. Zero
	// picks free ports, for tests.
	BasePort int
	// Progress receives a line per start-up step; nil discards them.
	Progress io.Writer
	// ModuleRoot is the checkout holding go.mod, node_modules and the stack
	// files; empty means the nearest go.mod above the working directory.
	ModuleRoot string
	// Logger receives the handlers' and gateways' logs; nil means a JSON
	// file, logs/api.log in DataDir.
	Logger *slog.Logger
	// FrontDoor configures the front door's health checks.
	FrontDoor FrontDoorOptions
	// Throttle is the method throttling every gateway enforces, as API
	// Gateway does with the stack's hush:throttle; nil means the limits of
	// Pulumi.<stack>.yaml, and the zero Throttle turns throttling off.
	Throttle *stackconfig.Throttle
	// RateLimit is the per-IP rate-based rule in front of every gateway,
	// as the cloud's WAF web ACL (DefaultRateLimit); nil turns it off.
	RateLimit *waf.Limits
	// DynamoDBOptions configure the handlers' DynamoDB clients, after
	// dynamo.ConfigureClient: hush-load meters their requests with it.
	DynamoDBOptions []func(*dynamodb.Options)
	// WriteRegion seeds the write region, the region whose replica takes
	// every write, when the stack's table holds no view of it yet; empty
	// means hush:writeRegion of the stack file when Regions is empty, else
	// the first region. A stack restarted on its data dir keeps the write
	// region its views hold (a move made at run time included).
	WriteRegion string
	// ReplicationDelay is how long a change waits before the replicator
	// applies it in the other regions; 0 means DefaultReplicationDelay, a
	// negative value none.
	ReplicationDelay time.Duration
	// CrossRegionRTT says how far apart the regions are: every call from
	// one region to another waits the pair's round trip, and the first call
	// on a new connection also the handshakes (package regionnet). The zero
	// value is the table the front door ranks regions by.
	CrossRegionRTT Distances
	// WriteTimeout bounds each write; 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration
}

// FrontDoorOptions configure the front door's health checks.
type FrontDoorOptions struct {
	// CheckInterval is the time between two checks of a region; 0 means
	// Route 53's default, 30 s.
	CheckInterval time.Duration
	// CheckThreshold is the number of consecutive failed (or passed) checks
	// that take a region out (or bring it back); 0 means Route 53's
	// default, 3.
	CheckThreshold int
	// Inverted lists the regions whose checks start inverted, as
	// hush:failoverDrill does in the cloud, but without needing hush:domain.
	Inverted []string
}
