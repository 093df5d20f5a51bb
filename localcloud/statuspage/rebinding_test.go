package statuspage

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRefusesRebinding: a page that rebinds its name to 127.0.0.1 is
// same-origin with the status page; its fetch of /status.json carries its
// own name as Host and is refused, while the same fetch addressed to
// 127.0.0.1 or localhost, as the page's own script sends it, is answered.
func TestRefusesRebinding(t *testing.T) {
	h := Handler(newFakeStack().sources())
	tests := []struct {
		name, host string
		want       int
	}{
		{"rebound name", "rebind.attacker.example:7480", http.StatusForbidden},
		{"rebound name without port", "rebind.attacker.example", http.StatusForbidden},
		{"127.0.0.1", "127.0.0.1:7480", http.StatusOK},
		{"localhost", "localhost:7480", http.StatusOK},
	}
	for _, tt := range tests {
		for _, path := range []string{JSONPath, PagePath, PagePath + "?part=main"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				r := local(httptest.NewRequest(http.MethodGet, path, nil))
				r.Host = tt.host
				r.Header.Set("Sec-Fetch-Site", "same-origin")
				r.Header.Set("Sec-Fetch-Mode", "cors")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != tt.want {
					t.Errorf("GET %s with Host %s: %d, want %d", path, tt.host, rec.Code, tt.want)
				}
				if tt.want == http.StatusForbidden && strings.Contains(rec.Body.String(), "frontDoor") {
					t.Errorf("the refusal carries the status: %q", rec.Body.String())
				}
			})
		}
	}
}
