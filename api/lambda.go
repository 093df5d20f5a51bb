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

// escapedPath returns the request path for the proxy to parse. A REST API
// hands Lambda the path and the path parameters still percent-encoded (a
// player "Ann Lee" arrives as "Ann%20Lee"), so each parameter is decoded once
// and escaped again; the path is rebuilt from the resource template, which
// also routes "/v1/hello/" to "/v1/hello" as API Gateway does. Segments made
// only of dots are escaped, or ServeMux would clean them away with a redirect.
func escapedPath(event events.APIGatewayProxyRequest) string {
	if event.Resource == "" {
		return event.Path
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
				parts[j] = escapeSegment(unescapeParameter(p))
			}
			segments[i] = strings.Join(parts, "/")
			continue
		}
		segments[i] = escapeSegment(unescapeParameter(event.PathParameters[name]))
	}
	return strings.Join(segments, "/")
}

// unescapeParameter decodes a percent-encoded path parameter. A value that is
// not valid percent-encoding is kept as it is, so validation rejects it.
func unescapeParameter(s string) string {
	if dec, err := url.PathUnescape(s); err == nil {
		return dec
	}
	return s
}

// escapeSegment escapes one path segment.
func escapeSegment(s string) string {
	if s != "" && strings.Trim(s, ".") == "" {
		return strings.Repeat("%2E", len(s))
	}
	return url.PathEscape(s)
}
