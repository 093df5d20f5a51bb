package frontdoor

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hush-scores/hush/internal/statusrec"
)

// TestRecordedPathsAreBounded: three 900 KB paths once made the status
// page 2.7 MB; a record keeps at most statusrec.MaxPathBytes of a path.
func TestRecordedPathsAreBounded(t *testing.T) {
	fx := newFixture(t, Options{}, prod...)
	h, err := fx.fd.Handler("us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	long := "/v1/player/" + strings.Repeat("x", 900<<10) + "/matches"
	for range 3 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, long, nil))
	}
	snap := fx.fd.Snapshot()
	var n int
	for _, r := range snap.Regions {
		for _, req := range r.Requests {
			n++
			if len(req.Path) > statusrec.MaxPathBytes || !strings.HasPrefix(req.Path, "/v1/player/xxx") {
				t.Errorf("recorded path of %d bytes starting %.20q, want at most %d bytes of the path's start", len(req.Path), req.Path, statusrec.MaxPathBytes)
			}
		}
	}
	if n != 3 {
		t.Fatalf("%d requests recorded, want 3", n)
	}
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 16<<10 {
		t.Errorf("the snapshot is %d bytes after three 900 KB paths, want it small (under 16 KB)", len(b))
	}
}
