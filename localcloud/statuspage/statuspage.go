// Package statuspage serves the local stack's status page: plain HTML with
// its styles and a few lines of script inline, so it needs no build step and
// works offline, and the JSON it is made from. It shows each region's health
// as the front door sees it with its recent checks, where each vantage's
// requests go, the write region and whether it can be reached, each
// replication link's backlog and lag, and the last requests per region.
//
// The page is rendered on the server; the script only fetches it again
// every second and swaps the content in, so what the Go tests check is what
// a browser shows. Without script, a meta refresh reloads it.
package statuspage

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/hush-scores/hush/internal/loopguard"
	"github.com/hush-scores/hush/localcloud/frontdoor"
)

// Paths the handler serves.
const (
	PagePath = "/"
	JSONPath = "/status.json"
)

// FrontDoor is the front door as the page sees it.
type FrontDoor interface {
	Snapshot() frontdoor.Snapshot
}

// Replication reports the local global table's replication links.
type Replication interface {
	ReplicationLinks() []Link
}

// WriteRegion reports the stack's write region.
type WriteRegion interface {
	WriteRegionState() WriteState
}

// Link is one direction of replication between two regions' replicas.
type Link struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Backlog counts the changes committed in From not yet applied in To.
	Backlog int `json:"backlog"`
	// LagMS is how long the oldest of them has waited, or the delay of the
	// last change applied when none waits.
	LagMS float64 `json:"lagMs"`
	// Note says why the link is stalled (a cut-off, a replica down), if it is.
	Note string `json:"note,omitempty"`
	// Applied counts the changes applied since the replicator started.
	Applied int64 `json:"applied"`
	// Rate is the changes applied per second over the last few seconds,
	// BusyRate per second of the time the link had a backlog: what it
	// sustains when it has work.
	Rate     float64 `json:"ratePerSecond"`
	BusyRate float64 `json:"busyRatePerSecond"`
}

// WriteState is the write region and whether the others can reach it.
type WriteState struct {
	Region    string `json:"region"`
	Reachable bool   `json:"reachable"`
	// Why says why it cannot be reached.
	Why string `json:"why,omitempty"`
}

// Sources are what the page reports on. Replication and WriteRegion may be
// nil (a one-region stack has no links); the page then says so.
type Sources struct {
	Stack       string
	FrontDoor   FrontDoor
	Replication Replication
	WriteRegion WriteRegion
}

// Status is the JSON behind the page.
type Status struct {
	Stack     string             `json:"stack"`
	At        time.Time          `json:"at"`
	FrontDoor frontdoor.Snapshot `json:"frontDoor"`
	// WriteRegion is nil when the stack does not report one.
	WriteRegion *WriteState `json:"writeRegion,omitempty"`
	Replication []Link      `json:"replication"`
}

// Collect gathers the status now.
func (src Sources) Collect() Status {
	s := Status{Stack: src.Stack, At: time.Now(), FrontDoor: src.FrontDoor.Snapshot(), Replication: []Link{}}
	if src.WriteRegion != nil {
		w := src.WriteRegion.WriteRegionState()
		s.WriteRegion = &w
	}
	if src.Replication != nil {
		s.Replication = append(s.Replication, src.Replication.ReplicationLinks()...)
	}
	return s
}

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"ago":   ago,
	"clock": func(t time.Time) string { return t.Format("15:04:05.000") },
	"msf":   func(v float64) string { return fmt.Sprintf("%.0f ms", v) },
	"health": func(r frontdoor.RegionStatus) string {
		if r.Healthy {
			return "healthy"
		}
		return "unhealthy"
	},
	"latest":      latest[frontdoor.Request],
	"dur":         func(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) },
	"recent":      latest[frontdoor.Event],
	"lastCheck":   lastCheck,
	"statusClass": func(code int) int { return code / 100 },
}).Parse(pageHTML))

// Handler serves the page at PagePath and its JSON at JSONPath, to
// requests addressed to a loopback name only: a page that rebinds its own
// name to 127.0.0.1 is same-origin with it and could read it otherwise.
// Browsers are welcome (it is a page), so Origin and Sec-Fetch-Site are not
// refused as loopguard.Check refuses them.
func Handler(src Sources) http.Handler {
	return loopguard.HostOnly(handler(src))
}

func handler(src Sources) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+JSONPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(src.Collect())
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// The script asks for the content alone (?part=main) to swap it in.
		var buf bytes.Buffer
		name := "page"
		if r.URL.Query().Get("part") == "main" {
			name = "main"
		}
		if err := page.ExecuteTemplate(&buf, name, src.Collect()); err != nil {
			http.Error(w, "statuspage: render failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = buf.WriteTo(w)
	})
	return mux
}

// ago renders how long before now t was, to a tenth of a second.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%.1fs ago", now.Sub(t).Seconds())
}

func reverse[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// lastCheck returns the newest check, or nil when there is none.
func lastCheck(cs []frontdoor.Check) *frontdoor.Check {
	if len(cs) == 0 {
		return nil
	}
	return &cs[len(cs)-1]
}

// latest returns the newest n of s (kept oldest first), newest first.
func latest[T any](n int, s []T) []T {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return reverse(s)
}
