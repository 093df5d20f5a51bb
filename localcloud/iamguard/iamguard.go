// Package iamguard enforces IAM locally: each Lambda function's AWS SDK
// clients in the local cloud carry a middleware that checks every call
// against that function's policy, the document package iampolicy builds
// and the Pulumi program deploys, before the call leaves the process.
//
// The identity is the client, not the access key: every local client signs
// with the same key, because DynamoDB Local keeps a database per key and
// region, so the local cloud gives each function its own clients and each
// client the policy of its function. A denied call is answered as AWS
// answers it: HTTP 400 with an AccessDeniedException whose message names
// the principal, the action and the resource. The answer is made below the
// SDK's deserializer, so the function's code sees exactly the error the SDK
// makes of AWS's answer and runs its own error path.
//
// What is modelled: Allow and Deny statements, explicit deny winning,
// wildcards in actions and resource ARNs, the index ARN of a Query, each
// item of a transaction checked by its own action, the table ARN of the
// region the client signs for (package awscall says which checks a call
// needs). What is not: conditions (no Hush policy has one, and
// iampolicy.Parse refuses them), resource-based policies, permission
// boundaries, service control policies and session policies, and the
// functions' CloudWatch Logs writes, which Lambda makes outside the
// function's code and which the local cloud writes to a file instead.
package iamguard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/iampolicy"
	"github.com/hush-scores/hush/iampolicy/awscall"
)

// LocalAccount is the account ID of the local cloud's ARNs.
const LocalAccount = "000000000000"

// ErrorCode is the code AWS gives a call IAM refuses.
const ErrorCode = "AccessDeniedException"

// Principal is one function's identity in one region with its policy.
type Principal struct {
	// ARN names the caller in messages, as AWS names an assumed role's
	// session: arn:aws:sts::<account>:assumed-role/<role>/<session>.
	ARN     string
	Account string
	Policy  iampolicy.Document
	// Logger receives one warning per denied call; nil logs nothing.
	Logger *slog.Logger
}

// Policies builds the principals of a stack's functions, as the Pulumi
// program builds their roles.
type Policies struct {
	// Stack names the stack (function names are hush-<stack>-<function>).
	Stack string
	// Table is the table's name; Index the name of its one index.
	Table, Index string
	// Regions are every region of the stack: the writer may write, and the
	// reader probe, any region's replica (iampolicy.FunctionPolicy).
	Regions []string
	// Account is the account of the ARNs; "" means LocalAccount.
	Account string
	// Logger receives the denials.
	Logger *slog.Logger
	// Edit, when set, changes a function's policy before it is enforced:
	// the hook by which a test takes a grant away. Never set in a stack
	// someone uses.
	Edit func(fn api.Function, doc iampolicy.Document) iampolicy.Document
}

// Principal returns the identity and policy of function fn running in
// region. The policy does not depend on the write region, which moves at
// run time: it names every region of the stack.
func (p *Policies) Principal(fn api.Function, region string) Principal {
	account := p.Account
	if account == "" {
		account = LocalAccount
	}
	access := api.AccessNone
	for _, spec := range api.Functions() {
		if spec.Name == fn {
			access = spec.Access
		}
	}
	replica := func(r string) iampolicy.TableARNs {
		t := iampolicy.TableARN(r, account, p.Table)
		return iampolicy.TableARNs{Table: t, Index: iampolicy.IndexARN(t, p.Index)}
	}
	name := fmt.Sprintf("hush-%s-%s", p.Stack, fn)
	stack := make([]iampolicy.TableARNs, 0, len(p.Regions))
	for _, r := range p.Regions {
		stack = append(stack, replica(r))
	}
	doc := iampolicy.FunctionPolicy(access, iampolicy.LogGroupARN(region, account, name), replica(region), stack)
	if p.Edit != nil {
		doc = p.Edit(fn, doc)
	}
	return Principal{
		ARN:     fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s-%s-role/%s", account, region, fn, name),
		Account: account,
		Policy:  doc,
		Logger:  p.Logger,
	}
}

// Options returns the client option that enforces fn's policy, for
// dynamodb.New and friends.
func (p *Policies) Options(fn api.Function, region string) func(*dynamodb.Options) {
	pr := p.Principal(fn, region)
	return func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, pr.Install) }
}

// denial is what the check at the Initialize step hands to the answer at
// the end of the Deserialize step.
type denialKey struct{}

// Install adds the check to a middleware stack: it goes in any AWS SDK
// client's APIOptions.
func (p Principal) Install(st *middleware.Stack) error {
	check := middleware.InitializeMiddlewareFunc("hushIAMCheck",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if msg, denied := p.check(ctx, in.Parameters); denied {
				ctx = middleware.WithStackValue(ctx, denialKey{}, msg)
			}
			return next.HandleInitialize(ctx, in)
		})
	if err := st.Initialize.Add(check, middleware.After); err != nil {
		return err
	}
	// Last in the Deserialize step, next to the transport: the SDK's own
	// deserializer turns the answer into its AccessDeniedException.
	answer := middleware.DeserializeMiddlewareFunc("hushIAMAnswer",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			msg, denied := middleware.GetStackValue(ctx, denialKey{}).(string)
			if !denied {
				return next.HandleDeserialize(ctx, in)
			}
			if awsmiddleware.GetServiceID(ctx) != dynamodb.ServiceID {
				// Another service speaks another protocol: hand over the
				// error the SDK would have made of the answer.
				return middleware.DeserializeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: ErrorCode, Message: msg, Fault: smithy.FaultClient}
			}
			return middleware.DeserializeOutput{RawResponse: deniedResponse(in.Request, msg)}, middleware.Metadata{}, nil
		})
	return st.Deserialize.Add(answer, middleware.After)
}

// check evaluates every authorisation the call needs and returns the
// message of the first one refused.
func (p Principal) check(ctx context.Context, params any) (string, bool) {
	for _, a := range awscall.Of(ctx, params) {
		resource := a.Resource(p.Account)
		decision := iampolicy.Evaluate(a.Action, resource, p.Policy)
		if decision == iampolicy.Allowed {
			continue
		}
		why := "because no identity-based policy allows the " + a.Action + " action"
		if decision == iampolicy.ExplicitDeny {
			why = "with an explicit deny in an identity-based policy"
		}
		msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", p.ARN, a.Action, resource, why)
		if p.Logger != nil {
			p.Logger.Warn("iam: access denied", "code", ErrorCode, "principal", p.ARN,
				"action", a.Action, "resource", resource, "decision", decision.String())
		}
		return msg, true
	}
	return "", false
}

// deniedResponse is DynamoDB's answer to a call IAM refuses: 400, JSON 1.0,
// the error's type in __type.
func deniedResponse(req any, msg string) *smithyhttp.Response {
	body, _ := json.Marshal(map[string]string{
		"__type":  "com.amazon.coral.service#" + ErrorCode,
		"Message": msg,
	})
	var r *http.Request
	if sr, ok := req.(*smithyhttp.Request); ok {
		r = sr.Request
	}
	return &smithyhttp.Response{Response: &http.Response{
		StatusCode:    http.StatusBadRequest,
		Status:        "400 Bad Request",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"local-iam-denied"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}}
}
