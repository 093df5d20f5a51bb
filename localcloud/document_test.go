package localcloud

import (
	"slices"
	"strings"
	"testing"

	"github.com/hush-scores/hush/api"
)

// TestGatewayRoutesComeFromTheDocument checks that the routes the local
// gateways serve, read back from the document the cloud API is defined
// from, are api.Routes(): same methods, paths, functions and auth.
func TestGatewayRoutesComeFromTheDocument(t *testing.T) {
	got, err := documentRoutes("local_pool", "client")
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(api.Routes())
	slices.SortFunc(want, func(a, b api.Route) int { return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method) })
	if !slices.Equal(got, want) {
		t.Errorf("routes from the document =\n%v\nwant\n%v", got, want)
	}
}
