// Command read is the Lambda function serving the routes of api.FunctionRead.
// It only wires dependencies and starts the runtime, as tablestore.Start does
// for every function that uses the table.
package main

import (
	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/handlers/internal/tablestore"
)

func main() {
	tablestore.Start(api.FunctionRead)
}
