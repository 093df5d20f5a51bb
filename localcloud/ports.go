package localcloud

import (
	"fmt"
	"net"
	"strconv"

	"github.com/hush-scores/hush/internal/child"
)

// DefaultBasePort is where the CLI puts the first gateway unless told
// otherwise. The range is rarely used by other development tools.
const DefaultBasePort = 7460

// Port offsets from the base port. The gateways take BasePort+i for region
// i (0 to 9); the emulators sit above the largest stack (10, 11); the
// default front door, whose vantage is the write region, takes
// BasePort+30, the front door near region i (in the stack's order)
// BasePort+31+i, and the status page BasePort+41, leaving room between for
// other parts of the stack.
const (
	maxRegions         = 10
	offsetDynamoDB     = 10
	offsetCognitoLocal = 11
	// The user pool's replica and the multi-Region issuer (identity.go).
	offsetCognitoReplica = 12
	offsetIssuer         = 13
	OffsetFrontDoor      = 30
	OffsetStatusPage     = 41
)

// ports hands out the stack's ports: base plus each part's offset, or 0
// (any free port) when base is 0, for tests.
type ports struct{ base int }

func (p ports) at(offset int) int {
	if p.base == 0 {
		return 0
	}
	return p.base + offset
}

func (p ports) gateway(i int) int   { return p.at(i) }
func (p ports) dynamoDB() int       { return p.at(offsetDynamoDB) }
func (p ports) cognito() int        { return p.at(offsetCognitoLocal) }
func (p ports) cognitoReplica() int { return p.at(offsetCognitoReplica) }
func (p ports) issuer() int         { return p.at(offsetIssuer) }
func (p ports) frontDoor(i int) int { return p.at(OffsetFrontDoor + i) }
func (p ports) statusPage() int     { return p.at(OffsetStatusPage) }

// listen takes port on loopback for what, naming both when it is busy.
func listen(port int, what string) (net.Listener, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("localcloud: port %d for %s is busy (is another local stack running? choose other ports with -base-port): %w", port, what, err)
	}
	return l, nil
}

// gatewayPorts are the gateways' listeners, taken before any child starts
// so that a busy port fails at once and names itself. The gateways part
// takes each over (and sets it to nil); close closes those it did not.
type gatewayPorts []net.Listener

// takePorts listens on every region's gateway port and checks that the
// emulators' ports are free.
func takePorts(p ports, regions []string) (gatewayPorts, error) {
	ls := make(gatewayPorts, 0, len(regions))
	for i, region := range regions {
		l, err := listen(p.gateway(i), "the gateway of "+region)
		if err != nil {
			ls.close()
			return nil, err
		}
		ls = append(ls, l)
	}
	for _, emu := range []struct {
		port int
		name string
	}{{p.dynamoDB(), "DynamoDB Local"}, {p.cognito(), "cognito-local"}} {
		if emu.port == 0 {
			continue
		}
		if err := child.CheckPort(emu.port, emu.name); err != nil {
			ls.close()
			return nil, fmt.Errorf("localcloud: %w", err)
		}
	}
	return ls, nil
}

func (ls gatewayPorts) close() error {
	for _, l := range ls {
		if l != nil {
			l.Close()
		}
	}
	return nil
}
