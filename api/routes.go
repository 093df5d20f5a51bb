package api

// Function names one Lambda function. Routes are grouped into functions by the
// table access they need, so each function's IAM role can be least privilege.
type Function string

// The Lambda functions of Hush. Each has a binary under handlers/<name>.
const (
	FunctionHello Function = "hello" // no table access
	FunctionRead  Function = "read"  // reads the table and its index
	FunctionWrite Function = "write" // writes matches
)

// Access is what a function may do to the table.
type Access int

// The kinds of table access.
const (
	AccessNone Access = iota
	AccessRead
	AccessWrite
)

// FunctionSpec describes one Lambda function.
type FunctionSpec struct {
	Name   Function
	Access Access
}

// Functions returns every Lambda function of Hush.
func Functions() []FunctionSpec {
	return []FunctionSpec{
		{Name: FunctionHello, Access: AccessNone},
		{Name: FunctionRead, Access: AccessRead},
		{Name: FunctionWrite, Access: AccessWrite},
	}
}

// Route is one method and path of API v1. Path uses API Gateway's template
// syntax, which is also Go's net/http pattern syntax.
type Route struct {
	Method   string
	Path     string
	Function Function
	// Auth is true when the route needs a Cognito ID token.
	Auth bool
	// OperationID names the route in the OpenAPI description.
	OperationID string
}

// Routes returns every route of API v1. It is the one declaration that the
// handlers, the infrastructure and the local gateway all read.
func Routes() []Route {
	return []Route{
		{Method: "GET", Path: "/v1/hello", Function: FunctionHello, OperationID: "getHello"},
		{Method: "GET", Path: "/v1/helloauthenticated", Function: FunctionHello, Auth: true, OperationID: "getHelloAuthenticated"},
		{Method: "GET", Path: "/v1/health", Function: FunctionRead, OperationID: "getHealth"},
		{Method: "POST", Path: "/v1/tournament/match", Function: FunctionWrite, Auth: true, OperationID: "createMatch"},
		{Method: "PUT", Path: "/v1/tournament/match", Function: FunctionWrite, Auth: true, OperationID: "putMatch"},
		{Method: "GET", Path: "/v1/tournament/{tournamentId}/results", Function: FunctionRead, OperationID: "listResults"},
		{Method: "GET", Path: "/v1/tournament/{tournamentId}/standings", Function: FunctionRead, OperationID: "getStandings"},
		{Method: "GET", Path: "/v1/tournament/{tournamentId}/match/{matchId}", Function: FunctionRead, OperationID: "getMatch"},
		{Method: "DELETE", Path: "/v1/tournament/{tournamentId}/match/{matchId}", Function: FunctionWrite, Auth: true, OperationID: "deleteMatch"},
		{Method: "GET", Path: "/v1/player/{player}/matches", Function: FunctionRead, OperationID: "listPlayerMatches"},
	}
}
