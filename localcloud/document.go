package localcloud

import (
	"fmt"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/api/gatewaydoc"
)

// documentRoutes builds the OpenAPI document a deployed region's REST API is
// defined from (gatewaydoc.Build, as the Pulumi program does, with local
// stand-ins for the ARNs) and returns the routes it declares, so the local
// gateway routes and authorizes from the same artifact as API Gateway.
func documentRoutes(poolID, clientID string) ([]api.Route, error) {
	in := gatewaydoc.Inputs{InvokeArns: map[api.Function]string{}, UserPoolArn: "local:userpool/" + poolID, ClientID: clientID}
	functions := map[string]api.Function{}
	for _, spec := range api.Functions() {
		uri := "local:function/" + string(spec.Name)
		in.InvokeArns[spec.Name] = uri
		functions[uri] = spec.Name
	}
	doc, err := gatewaydoc.Build(api.Routes(), api.OpenAPI(), in)
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	routes, err := gatewaydoc.Routes(doc, functions)
	if err != nil {
		return nil, fmt.Errorf("localcloud: %w", err)
	}
	return routes, nil
}
