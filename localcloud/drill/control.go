// Package drill breaks a running local stack on purpose and narrates what
// the front door does about it: the control endpoints the stack serves
// beside its status page, a client of them, and the runner behind
// `hush-local drill` and the e2e failover drills.
package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hush-scores/hush/localcloud/statuspage"
)

// Fault is what a drill breaks in one region.
type Fault string

// The faults a local stack can be put through.
const (
	// Gateway stops the region's gateway: connections to it are refused.
	Gateway Fault = "gateway"
	// Replica takes the region's table replica down: its gateway answers,
	// and its health answers 503.
	Replica Fault = "replica"
	// CutOff partitions the region from the others: replication into and
	// out of it stops, and calls from other regions into it fail. Its
	// gateway keeps answering the clients near it.
	CutOff Fault = "cutoff"
	// Invert inverts the region's health check, as hush:failoverDrill does
	// in the cloud: the region leaves the rotation without being broken.
	Invert Fault = "invert"
)

// Faults lists every fault, in the order the CLI documents them.
func Faults() []Fault { return []Fault{Gateway, Replica, CutOff, Invert} }

// ParseFault returns the fault named s.
func ParseFault(s string) (Fault, error) {
	f := Fault(s)
	if !slices.Contains(Faults(), f) {
		return "", fmt.Errorf("unknown fault %q; want one of %s", s, faultList())
	}
	return f, nil
}

func faultList() string {
	names := make([]string, 0, len(Faults()))
	for _, f := range Faults() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// Breaker is the stack as the control endpoints drive it.
type Breaker interface {
	// Break puts region through fault; Restore undoes it. Both return an
	// error a person can act on when the region or fault does not apply.
	Break(ctx context.Context, fault Fault, region string) error
	Restore(ctx context.Context, fault Fault, region string) error
	// MoveWriteRegion moves the stack's write region to region with the
	// operator of the write region (writeregion.Operator), as `hush-ops
	// write-region move -to REGION` does: a planned move, or with force
	// one for a write region that is lost or cut off.
	MoveWriteRegion(ctx context.Context, region string, force bool) error
}

// Paths of the control endpoints.
const (
	FaultPath       = "/drill/fault"
	WriteRegionPath = "/drill/write-region"
)

// FaultRequest is the body of POST FaultPath.
type FaultRequest struct {
	Fault  Fault  `json:"fault"`
	Region string `json:"region"`
	// Restore undoes the fault instead of breaking.
	Restore bool `json:"restore,omitempty"`
}

// WriteRegionRequest is the body of POST WriteRegionPath.
type WriteRegionRequest struct {
	Region string `json:"region"`
	// Force moves on the replicas that answer, for a write region that
	// is lost or cut off.
	Force bool `json:"force,omitempty"`
}

// Handler serves the control endpoints. They take JSON only: a browser
// cannot send that cross-origin without a preflight the handler never
// grants, so a web page the developer visits cannot break the stack.
func Handler(b Breaker) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+FaultPath, func(w http.ResponseWriter, r *http.Request) {
		var req FaultRequest
		if !decode(w, r, &req) {
			return
		}
		if _, err := ParseFault(string(req.Fault)); err != nil || req.Region == "" {
			fail(w, http.StatusBadRequest, fmt.Errorf("want {\"fault\": one of %s, \"region\": a region of the stack, \"restore\": true to undo}", faultList()))
			return
		}
		act := b.Break
		if req.Restore {
			act = b.Restore
		}
		if err := act(r.Context(), req.Fault, req.Region); err != nil {
			fail(w, http.StatusConflict, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST "+WriteRegionPath, func(w http.ResponseWriter, r *http.Request) {
		var req WriteRegionRequest
		if !decode(w, r, &req) {
			return
		}
		if req.Region == "" {
			fail(w, http.StatusBadRequest, errors.New(`want {"region": a region of the stack, "force": true to move without the old write region}`))
			return
		}
		if err := b.MoveWriteRegion(r.Context(), req.Region, req.Force); err != nil {
			fail(w, http.StatusConflict, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// decode reads a JSON body into v, answering 4xx itself when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		fail(w, http.StatusUnsupportedMediaType, errors.New("send Content-Type: application/json"))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fail(w, http.StatusBadRequest, errors.New("the body is not the JSON object this endpoint takes"))
		return false
	}
	return true
}

func fail(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}

// Client drives a running local stack through its control endpoints and
// reads its status page's JSON.
type Client struct {
	// BaseURL is the status page's address (hush-local prints it).
	BaseURL string
	// HTTP is the client used; nil means one with a 10 s timeout.
	HTTP *http.Client
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// Status reads the stack's status.
func (c *Client) Status(ctx context.Context) (statuspage.Status, error) {
	var s statuspage.Status
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL, "/")+statuspage.JSONPath, nil)
	if err != nil {
		return s, fmt.Errorf("drill: %w", err)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return s, fmt.Errorf("drill: read the stack's status at %s (is hush-local running there?): %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("drill: status at %s answered %s", c.BaseURL, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return s, fmt.Errorf("drill: status at %s: %w", c.BaseURL, err)
	}
	return s, nil
}

// Break puts region through fault.
func (c *Client) Break(ctx context.Context, fault Fault, region string) error {
	return c.post(ctx, FaultPath, FaultRequest{Fault: fault, Region: region})
}

// Restore undoes fault in region.
func (c *Client) Restore(ctx context.Context, fault Fault, region string) error {
	return c.post(ctx, FaultPath, FaultRequest{Fault: fault, Region: region, Restore: true})
}

// MoveWriteRegion moves the stack's write region (see
// Breaker.MoveWriteRegion).
func (c *Client) MoveWriteRegion(ctx context.Context, region string, force bool) error {
	return c.post(ctx, WriteRegionPath, WriteRegionRequest{Region: region, Force: force})
}

func (c *Client) post(ctx context.Context, path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("drill: %w", err)
	}
	// The address is the local stack's, given by the developer who runs the drill.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(b)) //nolint:gosec // G704: see above

	if err != nil {
		return fmt.Errorf("drill: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http().Do(req) //nolint:gosec // G704: the developer's own local stack
	if err != nil {
		return fmt.Errorf("drill: reach the stack at %s (is hush-local running there?): %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return nil
	}
	var e struct {
		Error string `json:"error"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if json.Unmarshal(raw, &e) != nil || e.Error == "" {
		e.Error = strings.TrimSpace(string(raw))
	}
	return fmt.Errorf("drill: %s answered %s: %s", path, resp.Status, e.Error)
}
