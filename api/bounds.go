package api

import "time"

// LambdaTimeout is the timeout of every Lambda function of Hush. The Pulumi
// program deploys it (package components) and the local gateway cuts a
// function off at it, as Lambda does, so the two cannot differ. It stays
// well under API Gateway's 29 s integration timeout; the handlers' own
// bounds (DefaultWriteTimeout, the health read's 2 s) end a request long
// before it.
const LambdaTimeout = 10 * time.Second
