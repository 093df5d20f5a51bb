package gateway

import (
	"fmt"
	"strings"

	"github.com/hush-scores/hush/api"
)

// resource is one node of the resource tree, as API Gateway builds it from
// the route templates: one node per path segment, literal children and at
// most one {param} child.
type resource struct {
	path      string // template path of this node, like /v1/tournament/{tournamentId}
	literals  map[string]*resource
	param     *resource
	paramName string // name of the param child, without braces
	methods   map[string]*route
}

// route is a method of a resource, bound to the function that serves it.
type route struct {
	api.Route
	fn LambdaFunc
}

func newResource(path string) *resource {
	return &resource{path: path, literals: map[string]*resource{}, methods: map[string]*route{}}
}

// add inserts rt under r, the root. It refuses what API Gateway refuses at deploy
// time: empty segments, sibling params with different names, duplicates.
func (r *resource) add(rt *route) error {
	if !strings.HasPrefix(rt.Path, "/") || rt.Path == "/" {
		return fmt.Errorf("gateway: route %s %q: path must start with / and name a resource", rt.Method, rt.Path)
	}
	if rt.Method == "" || strings.ToUpper(rt.Method) != rt.Method {
		return fmt.Errorf("gateway: route %s %q: method must be upper case", rt.Method, rt.Path)
	}
	node := r
	for _, seg := range strings.Split(rt.Path[1:], "/") {
		switch {
		case seg == "":
			return fmt.Errorf("gateway: route %s %q: empty path segment", rt.Method, rt.Path)
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"):
			name := seg[1 : len(seg)-1]
			if name == "" || strings.ContainsAny(name, "{}+") {
				return fmt.Errorf("gateway: route %s %q: bad path parameter %q", rt.Method, rt.Path, seg)
			}
			if node.param == nil {
				node.param = newResource(node.childPath(seg))
				node.paramName = name
			} else if node.paramName != name {
				return fmt.Errorf("gateway: route %s %q: parameter {%s} clashes with sibling {%s}", rt.Method, rt.Path, name, node.paramName)
			}
			node = node.param
		case strings.ContainsAny(seg, "{}"):
			return fmt.Errorf("gateway: route %s %q: bad path segment %q", rt.Method, rt.Path, seg)
		default:
			child, ok := node.literals[seg]
			if !ok {
				child = newResource(node.childPath(seg))
				node.literals[seg] = child
			}
			node = child
		}
	}
	if _, dup := node.methods[rt.Method]; dup {
		return fmt.Errorf("gateway: route %s %q declared twice", rt.Method, rt.Path)
	}
	node.methods[rt.Method] = rt
	return nil
}

func (r *resource) childPath(seg string) string {
	if r.path == "/" {
		return "/" + seg
	}
	return r.path + "/" + seg
}

// match finds the route for method and the raw (still percent-encoded)
// segments of a request path. Literal segments are tried before a {param},
// and a {param} takes exactly one non-empty segment. Param values are
// returned as sent, percent-encoding and all, as API Gateway passes them.
func (r *resource) match(method string, segs []string, params map[string]string) (*route, map[string]string) {
	if len(segs) == 0 {
		rt, ok := r.methods[method]
		if !ok {
			return nil, nil
		}
		return rt, params
	}
	seg := segs[0]
	if seg == "" {
		return nil, nil
	}
	if child, ok := r.literals[seg]; ok {
		if rt, p := child.match(method, segs[1:], params); rt != nil {
			return rt, p
		}
	}
	if r.param != nil {
		if params == nil {
			params = map[string]string{}
		}
		params[r.paramName] = seg
		if rt, p := r.param.match(method, segs[1:], params); rt != nil {
			return rt, p
		}
		delete(params, r.paramName)
	}
	return nil, nil
}
