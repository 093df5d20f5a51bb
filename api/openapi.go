package api

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3.0 description of API v1, in YAML. A test
// keeps it in step with Routes and checks real handler answers against it.
func OpenAPI() []byte {
	return append([]byte(nil), openAPI...)
}
