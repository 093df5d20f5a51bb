package components

import (
	"strings"

	"github.com/hush-scores/hush/api/gatewaydoc"
)

// slug turns a path into a resource-name fragment: "/v1/tournament/{tournamentId}"
// becomes "v1-tournament-tournamentId".
func slug(path string) string {
	r := strings.NewReplacer("/", "-", "{", "", "}", "")
	return strings.Trim(r.Replace(path), "-")
}

// sourceArnPath is the part of an execute-api ARN that matches a route: path
// parameters become "*", since the ARN carries the caller's actual values.
func sourceArnPath(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, "/")
}

// ClientIDExpression is the authorizer's identityValidationExpression for
// one app client (see gatewaydoc.ClientIDExpression).
func ClientIDExpression(clientID string) string { return gatewaydoc.ClientIDExpression(clientID) }
