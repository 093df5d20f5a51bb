// Package testtier splits the tests into two tiers. `make test` runs every
// test; `make unit` runs `go test -short`, the fast tier, which needs
// neither Java nor Node nor a running emulator. A test that needs one calls
// Needs, which skips it under -short and names what it needs; outside
// -short Needs does nothing, so a missing prerequisite still fails loudly.
package testtier

import (
	"flag"
	"fmt"
	"io"
	"testing"
)

// What a test needs that the fast tier does without.
const (
	DynamoDBLocal = "DynamoDB Local (Java)"
	CognitoLocal  = "cognito-local (Node)"
	LocalCloud    = "a local cloud (DynamoDB Local on Java, cognito-local on Node)"
	Java          = "Java"
	Node          = "Node"
)

// Reason is the message of a test skipped for lack of what.
func Reason(what string) string {
	return fmt.Sprintf("needs %s: run make test", what)
}

// Needs skips t under -short because it needs what.
func Needs(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skip(Reason(what))
	}
}

// SkipPackage is for a TestMain whose every test needs what. Under -short
// it writes why to w and returns true: TestMain then exits 0 without
// starting anything. It parses the test flags, which TestMain may do.
func SkipPackage(w io.Writer, pkg, what string) bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	if !testing.Short() {
		return false
	}
	fmt.Fprintf(w, "%s: every test skipped: %s\n", pkg, Reason(what))
	return true
}
