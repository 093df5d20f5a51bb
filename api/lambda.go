package api

import (
	"context"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// NewLambdaHandler returns the Lambda handler of function fn: it turns an API
// Gateway REST API proxy event into an http.Request for NewHandler and the
// answer back into a proxy response. The local gateway calls it too.
func NewLambdaHandler(fn Function, deps Deps) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	adapter := httpadapter.New(NewHandler(fn, deps))
	return func(ctx context.Context, event events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		event.Path = escapedPath(event)
		return adapter.ProxyWithContext(ctx, event)
	}
}

// escapedPath returns the request path with every segment escaped. The proxy
// builds a URL from event.Path, which API Gateway gives decoded: a match ID
// "a%2Fb" would arrive as "a/b" and split into two segments, and a name with
// '%', '?' or '#' would break the URL. So the path is rebuilt from the
// resource template and the (decoded) path parameters, escaping each one.
// Segments made only of dots are escaped too, or ServeMux would clean them
// away with a redirect.
func escapedPath(event events.APIGatewayProxyRequest) string {
	if event.Resource == "" || !strings.Contains(event.Resource, "{") {
		return escapeSegments(event.Path)
	}
	segments := strings.Split(event.Resource, "/")
	for i, seg := range segments {
		if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}")
		if greedy, ok := strings.CutSuffix(name, "+"); ok {
			// A greedy parameter keeps its slashes as separators.
			parts := strings.Split(event.PathParameters[greedy], "/")
			for j, p := range parts {
				parts[j] = escapeSegment(p)
			}
			segments[i] = strings.Join(parts, "/")
			continue
		}
		segments[i] = escapeSegment(event.PathParameters[name])
	}
	return strings.Join(segments, "/")
}

// escapeSegments escapes each segment of a decoded path.
func escapeSegments(path string) string {
	segments := strings.Split(path, "/")
	for i, seg := range segments {
		segments[i] = escapeSegment(seg)
	}
	return strings.Join(segments, "/")
}

func escapeSegment(s string) string {
	if s != "" && strings.Trim(s, ".") == "" {
		return strings.Repeat("%2E", len(s))
	}
	return url.PathEscape(s)
}
