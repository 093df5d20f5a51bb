package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/hush-scores/hush/scores"
)

// unavailable wraps a failure to reach the table. Clients see only
// "table unavailable" (503); the cause stays in Err for the logs.
func unavailable(err error) error {
	return &scores.Error{Code: scores.CodeUnavailable, Message: "table unavailable", Err: err}
}

// internal wraps a failure that is a bug (a request DynamoDB refuses as
// malformed, an item that does not unmarshal).
func internal(err error) error {
	return &scores.Error{Code: scores.CodeInternal, Message: "internal error", Err: err}
}

// Error codes of DynamoDB and the SDK that mean the table cannot serve now,
// rather than that the request is wrong.
var unavailableCodes = map[string]bool{
	"ResourceNotFoundException":              true, // table missing or not yet active
	"ProvisionedThroughputExceededException": true,
	"RequestLimitExceeded":                   true,
	"ThrottlingException":                    true,
	"LimitExceededException":                 true,
	"InternalServerError":                    true,
	"ServiceUnavailable":                     true,
	"TransactionInProgressException":         true,
	"UnrecognizedClientException":            true, // credentials refused
}

// AccessDeniedException is deliberately not among unavailableCodes: a role
// without a permission the code needs is a defect of the deployment, not an
// outage. It answers 500 (CodeInternal) rather than 503 because 503 tells
// clients and the front door that the table is out of reach for now and
// that trying again later may work, while a missing grant fails every
// retry until the policy is fixed; 500 says the fault is ours. Both are
// 5xx, so the alarms fire either way, and the handler logs the SDK's error,
// whose message names the principal, the action and the resource.

// classify turns an SDK error into a domain error: everything that means the
// table is out of reach (network, timeouts, a missing table, throttling,
// refused credentials) is CodeUnavailable, a request DynamoDB refuses as
// invalid, or IAM refuses for want of a grant, is CodeInternal because it
// is our bug. Condition failures are
// mapped by the callers, who know what the condition meant.
func classify(err error) error {
	var se *scores.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return unavailable(err)
	}
	var rnf *types.ResourceNotFoundException
	if errors.As(err, &rnf) {
		return unavailable(err)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if unavailableCodes[api.ErrorCode()] || api.ErrorFault() == smithy.FaultServer {
			return unavailable(err)
		}
		return internal(err)
	}
	// Anything else failed before DynamoDB answered: connection refused,
	// reset, DNS, TLS, a timeout of the HTTP client, retries exhausted on
	// one of these.
	return unavailable(err)
}

// cancellation returns the reasons of a cancelled transaction, or nil when
// err is something else.
func cancellation(err error) []types.CancellationReason {
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		return tc.CancellationReasons
	}
	return nil
}

// reasonCode returns the code of reason i, "" when missing.
func reasonCode(reasons []types.CancellationReason, i int) string {
	if i < len(reasons) && reasons[i].Code != nil {
		return *reasons[i].Code
	}
	return ""
}

// hasReason reports whether any reason has the given code.
func hasReason(reasons []types.CancellationReason, code string) bool {
	for i := range reasons {
		if reasonCode(reasons, i) == code {
			return true
		}
	}
	return false
}

func wrap(err error, format string, args ...any) error {
	return fmt.Errorf("store: "+format+": %w", append(args, err)...)
}
