package components_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/api"
	"github.com/hush-scores/hush/components"
	"github.com/hush-scores/hush/iampolicy"
	"github.com/hush-scores/hush/internal/lambdabuild"
	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/stackconfig"
)

const account = "123456789012"

// mocks records every resource the program registers and answers with the
// outputs AWS would compute (ARNs, URLs) for the region of the resource's
// provider, so the program's ARN plumbing is exercised too.
type mocks struct {
	mu        sync.Mutex
	resources []pulumi.MockResourceArgs
	// validationValue, when set, gives the value of the validation CNAME
	// ACM asks for in a region; by default every region gets the same one,
	// as ACM does.
	validationValue func(region string) string
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	m.resources = append(m.resources, args)
	m.mu.Unlock()

	outs := args.Inputs.Copy()
	id := args.Name + "-id"
	region := providerRegion(args.Provider)
	str := func(k string) string {
		if v, ok := args.Inputs[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	set := func(k, v string) { outs[resource.PropertyKey(k)] = resource.NewProperty(v) }
	switch args.TypeToken {
	case "pulumi:providers:aws":
		// The provider's ID is its region, so a provider reference
		// ("<urn>::<id>") tells which region a resource lands in.
		id = str("region")
	case "aws:dynamodb/table:Table":
		set("arn", fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, account, str("name")))
	case "aws:cognito/userPool:UserPool":
		id = region + "_pool"
		set("arn", fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s", region, account, id))
	case "aws:lambda/function:Function":
		arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, str("name"))
		set("arn", arn)
		set("invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", region, arn))
	case "aws:cloudwatch/logGroup:LogGroup":
		set("arn", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, account, str("name")))
	case "aws:iam/role:Role":
		set("name", args.Name+"-abc123")
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s-abc123", account, args.Name))
	case "aws:sns/topic:Topic":
		set("arn", fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, account, str("name")))
	case "aws:apigateway/restApi:RestApi":
		set("rootResourceId", "root")
		set("executionArn", fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", region, account, id))
	case "aws:acm/certificate:Certificate":
		set("arn", fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", region, account, args.Name))
		value := "_f00d.abcdefgh.acm-validations.aws."
		if m.validationValue != nil {
			value = m.validationValue(region)
		}
		outs["domainValidationOptions"] = resource.NewArrayProperty([]resource.PropertyValue{
			resource.NewObjectProperty(resource.PropertyMap{
				"domainName":          resource.NewProperty(str("domainName")),
				"resourceRecordName":  resource.NewProperty("_c0ffee." + str("domainName") + "."),
				"resourceRecordType":  resource.NewProperty("CNAME"),
				"resourceRecordValue": resource.NewProperty(value),
			}),
		})
	case "aws:apigateway/domainName:DomainName":
		set("regionalDomainName", fmt.Sprintf("d-%s.execute-api.%s.amazonaws.com", region, region))
		set("regionalZoneId", "ZAPIGW-"+region)
	case "aws:route53/record:Record":
		set("fqdn", strings.TrimSuffix(str("name"), "."))
	case "aws:apigateway/stage:Stage":
		set("invokeUrl", fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s", str("restApi"), region, str("stageName")))
		set("arn", fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s/stages/%s", region, str("restApi"), str("stageName")))
	}
	return id, outs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

// providerRegion returns the region in a provider reference, "" for none.
func providerRegion(ref string) string {
	if ref == "" {
		return ""
	}
	return ref[strings.LastIndex(ref, "::")+2:]
}

// fakeBuilder writes a small deterministic zip instead of compiling.
type fakeBuilder struct{ dir string }

func (b fakeBuilder) Build(_ context.Context, fn string) (lambdabuild.Asset, error) {
	path := filepath.Join(b.dir, fn+".zip")
	f, err := os.Create(path)
	if err != nil {
		return lambdabuild.Asset{}, err
	}
	defer f.Close()
	if err := lambdabuild.WriteZip(f, []byte("fake "+fn)); err != nil {
		return lambdabuild.Asset{}, err
	}
	return lambdabuild.Asset{Function: fn, ZipPath: path, SourceCodeHash: "hash-of-" + fn}, nil
}

// projectConfig returns the config the engine would hand the program for
// stack: Pulumi.yaml's project config overlaid with Pulumi.<stack>.yaml.
func projectConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	values, err := stackconfig.ReadFile("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stackValues, err := stackconfig.ReadFile(stackconfig.File("..", stack))
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(values, stackValues)
	return values
}

// run runs the real program under mocks with config as the stack's config,
// and returns the registered resources and the stack outputs.
func run(t *testing.T, stack string, config map[string]string) ([]pulumi.MockResourceArgs, map[string]any, error) {
	t.Helper()
	return runWith(t, &mocks{}, stack, config)
}

// runWith is run with the given mocks.
func runWith(t *testing.T, m *mocks, stack string, config map[string]string) ([]pulumi.MockResourceArgs, map[string]any, error) {
	t.Helper()
	var mu sync.Mutex
	// RunErr waits for the resources' outputs but not for an apply on an
	// export made of a plain value (homeRegion, regions): without waiting
	// for every apply, those were sometimes still missing (nil) on a busy
	// machine.
	var applied sync.WaitGroup
	outputs := map[string]any{}
	withConfig := func(info *pulumi.RunInfo) { info.Config = config }
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		if _, err := components.Deploy(ctx, config, fakeBuilder{dir: t.TempDir()}); err != nil {
			return err
		}
		for name, v := range ctx.GetCurrentExportMap() {
			applied.Add(1)
			pulumi.ToOutput(v).ApplyT(func(x any) any {
				defer applied.Done()
				mu.Lock()
				outputs[name] = x
				mu.Unlock()
				return x
			})
		}
		return nil
	}, pulumi.WithMocks("hush", stack, m), withConfig)
	if err == nil {
		applied.Wait()
	}
	return m.resources, outputs, err
}

// stackWant is what each stack file must produce, stated here rather than
// read back from the file so that a wrong edit to prod's file fails.
type stackWant struct {
	regions     []string
	writeRegion string
	retention   float64
	protected   bool
	pitr        bool
	// rate and burst are the stage's method throttling. API Gateway applies
	// them to each method on its own; dev's must let the deploy workflow's
	// e2e run (50 concurrent POSTs of one match) through in one burst.
	rate  float64
	burst float64
	// apigwAccount are the regions where the stack owns API Gateway's
	// account-wide CloudWatch role: one owner per account and region.
	apigwAccount []string
}

var stacks = map[string]stackWant{
	"dev":   {regions: []string{"eu-central-1"}, writeRegion: "eu-central-1", retention: 7, rate: 50, burst: 100, apigwAccount: []string{"eu-central-1"}},
	"stage": {regions: []string{"eu-central-1", "eu-west-1"}, writeRegion: "eu-central-1", retention: 30, pitr: true, rate: 100, burst: 200, apigwAccount: []string{"eu-west-1"}},
	"prod":  {regions: []string{"eu-central-1", "eu-west-1", "us-east-1"}, writeRegion: "eu-central-1", retention: 365, protected: true, pitr: true, rate: 200, burst: 400, apigwAccount: []string{"eu-central-1", "eu-west-1", "us-east-1"}},
}

func TestStacks(t *testing.T) {
	for _, stack := range []string{"dev", "stage", "prod"} {
		t.Run(stack, func(t *testing.T) {
			want := stacks[stack]
			resources, outputs, err := run(t, stack, projectConfig(t, stack))
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			s := newSnapshot(resources)
			home := want.regions[0]

			t.Run("one RegionalHush per region", func(t *testing.T) {
				var got []string
				for _, r := range s.ofType("hush:index:RegionalHush") {
					got = append(got, r.Name)
				}
				slices.Sort(got)
				wantRegions := slices.Sorted(slices.Values(want.regions))
				if !reflect.DeepEqual(got, wantRegions) {
					t.Errorf("RegionalHush components = %v, want %v", got, wantRegions)
				}
			})

			t.Run("every resource on its region's provider", func(t *testing.T) {
				for _, r := range s.all {
					if !r.Custom || strings.HasPrefix(r.TypeToken, "pulumi:providers:") {
						continue
					}
					wantRegion := home
					if parent := s.parentComponent(r); parent.TypeToken == "hush:index:RegionalHush" {
						wantRegion = parent.Name
					}
					if got := providerRegion(r.Provider); got != wantRegion {
						t.Errorf("%s %s is on provider %q, want the %s provider", r.TypeToken, r.Name, r.Provider, wantRegion)
					}
				}
				for _, region := range want.regions {
					p := s.named("pulumi:providers:aws", "aws-"+region)
					if got := p.Inputs["region"].StringValue(); got != region {
						t.Errorf("provider aws-%s region = %q", region, got)
					}
				}
			})

			t.Run("table", func(t *testing.T) {
				table := s.only(t, "aws:dynamodb/table:Table")
				if got := arrayOf(table.Inputs["replicas"]); len(got) != 0 {
					t.Errorf("table has inline replicas %v; they have no deletion protection of their own", got)
				}
				if got := table.RegisterRPC.GetIgnoreChanges(); !slices.Contains(got, "replicas") {
					t.Errorf("table ignoreChanges = %v, want replicas (they are TableReplica resources)", got)
				}
				// One TableReplica per replica region, on that region's
				// provider (checked above), each protected in prod: Pulumi
				// refuses to drop a protected replica when a region leaves
				// hush:regions, until an operator unprotects it.
				var replicas []string
				for _, r := range s.ofType("aws:dynamodb/tableReplica:TableReplica") {
					region := s.parentComponent(r).Name
					replicas = append(replicas, region)
					if got := r.Inputs["globalTableArn"].StringValue(); got != fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/hush-%s", home, account, stack) {
						t.Errorf("replica %s globalTableArn = %q, want the home table's", region, got)
					}
					if got := r.Inputs["pointInTimeRecovery"].BoolValue(); got != want.pitr {
						t.Errorf("replica %s PITR = %v, want %v", region, got, want.pitr)
					}
					if got := r.Inputs["deletionProtectionEnabled"].BoolValue(); got != want.protected {
						t.Errorf("replica %s deletionProtectionEnabled = %v, want %v", region, got, want.protected)
					}
					if got := r.RegisterRPC.GetProtect(); got != want.protected {
						t.Errorf("replica %s protect = %v, want %v", region, got, want.protected)
					}
				}
				slices.Sort(replicas)
				if wantReplicas := slices.Sorted(slices.Values(want.regions[1:])); !slices.Equal(replicas, wantReplicas) {
					t.Errorf("replicas in %v, want %v", replicas, wantReplicas)
				}
				checks := []struct {
					name string
					got  any
					want any
				}{
					{"name", table.Inputs["name"].StringValue(), "hush-" + stack},
					{"billingMode", table.Inputs["billingMode"].StringValue(), "PAY_PER_REQUEST"},
					{"streamEnabled", table.Inputs["streamEnabled"].BoolValue(), true},
					{"streamViewType", table.Inputs["streamViewType"].StringValue(), "NEW_AND_OLD_IMAGES"},
					{"pointInTimeRecovery", table.Inputs["pointInTimeRecovery"].ObjectValue()["enabled"].BoolValue(), want.pitr},
					{"deletionProtectionEnabled", table.Inputs["deletionProtectionEnabled"].BoolValue(), want.protected},
					{"protect", table.RegisterRPC.GetProtect(), want.protected},
					{"hashKey", table.Inputs["hashKey"].StringValue(), "PK"},
					{"rangeKey", table.Inputs["rangeKey"].StringValue(), "SK"},
					{"index", table.Inputs["globalSecondaryIndexes"].ArrayValue()[0].ObjectValue()["name"].StringValue(), "GSI1"},
				}
				for _, c := range checks {
					if c.got != c.want {
						t.Errorf("table %s = %v, want %v", c.name, c.got, c.want)
					}
				}
			})

			t.Run("user pool", func(t *testing.T) {
				pool := s.only(t, "aws:cognito/userPool:UserPool")
				wantDeletion := "INACTIVE"
				if want.protected {
					wantDeletion = "ACTIVE"
				}
				if got := pool.Inputs["deletionProtection"].StringValue(); got != wantDeletion {
					t.Errorf("pool deletionProtection = %q, want %q", got, wantDeletion)
				}
				if got := pool.RegisterRPC.GetProtect(); got != want.protected {
					t.Errorf("pool protect = %v, want %v", got, want.protected)
				}
				if got := pool.Inputs["usernameConfiguration"]; !got.IsObject() || !got.ObjectValue()["caseSensitive"].IsBool() || got.ObjectValue()["caseSensitive"].BoolValue() {
					t.Errorf("pool usernameConfiguration = %v, want caseSensitive false (fixed when the pool is created)", got)
				}
				client := s.only(t, "aws:cognito/userPoolClient:UserPoolClient")
				if got := stringInput(client.Inputs["preventUserExistenceErrors"]); got != "ENABLED" {
					t.Errorf("client preventUserExistenceErrors = %q, want ENABLED", got)
				}
				var flows []string
				for _, f := range client.Inputs["explicitAuthFlows"].ArrayValue() {
					flows = append(flows, f.StringValue())
				}
				if wantFlows := []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}; !slices.Equal(flows, wantFlows) {
					t.Errorf("client flows = %v, want %v", flows, wantFlows)
				}
				if client.Inputs["generateSecret"].BoolValue() {
					t.Error("client has a secret; public clients cannot keep one")
				}
				group := s.only(t, "aws:cognito/userGroup:UserGroup")
				if got := group.Inputs["name"].StringValue(); got != components.AdminsGroup {
					t.Errorf("group = %q, want %q", got, components.AdminsGroup)
				}
			})

			t.Run("a function and a role per function", func(t *testing.T) {
				for _, region := range want.regions {
					for _, spec := range api.Functions() {
						base := fmt.Sprintf("%s-%s", region, spec.Name)
						fn := s.named("aws:lambda/function:Function", base)
						if fn == nil {
							t.Errorf("no function %s", base)
							continue
						}
						if got := fn.Inputs["runtime"].StringValue(); got != "provided.al2023" {
							t.Errorf("%s runtime = %q, want provided.al2023", base, got)
						}
						if got := fn.Inputs["architectures"].ArrayValue(); len(got) != 1 || got[0].StringValue() != "arm64" {
							t.Errorf("%s architectures = %v, want [arm64]", base, got)
						}
						if got := fn.Inputs["handler"].StringValue(); got != "bootstrap" {
							t.Errorf("%s handler = %q, want bootstrap", base, got)
						}
						code := fn.Inputs["code"]
						if !code.IsArchive() || filepath.Base(code.ArchiveValue().Path) != string(spec.Name)+".zip" {
							t.Errorf("%s code = %v, want the built %s.zip as a file archive", base, code, spec.Name)
						}
						if got := fn.Inputs["sourceCodeHash"].StringValue(); got != "hash-of-"+string(spec.Name) {
							t.Errorf("%s sourceCodeHash = %q", base, got)
						}
						env := fn.Inputs["environment"].ObjectValue()["variables"].ObjectValue()
						// prod logs at info, dev and stage at debug; Lambda must
						// let the application's records of that level through.
						wantLevel := "debug"
						if want.protected {
							wantLevel = "info"
						}
						if got := env["LOG_LEVEL"].StringValue(); got != wantLevel {
							t.Errorf("%s LOG_LEVEL = %q, want %q", base, got, wantLevel)
						}
						logging := fn.Inputs["loggingConfig"].ObjectValue()
						if got := stringInput(logging["applicationLogLevel"]); got != strings.ToUpper(wantLevel) {
							t.Errorf("%s applicationLogLevel = %q, want %q (JSON logs are filtered at INFO without it)", base, got, strings.ToUpper(wantLevel))
						}
						if got := stringInput(logging["systemLogLevel"]); got != "INFO" {
							t.Errorf("%s systemLogLevel = %q, want INFO (platform.report feeds the cold-start metric)", base, got)
						}
						if got := stringInput(logging["logFormat"]); got != "JSON" {
							t.Errorf("%s logFormat = %q, want JSON", base, got)
						}
						if got := env["TABLE_NAME"].StringValue(); got != "hush-"+stack {
							t.Errorf("%s TABLE_NAME = %q, want hush-%s", base, got, stack)
						}
						role := s.named("aws:iam/role:Role", base+"-role")
						if role == nil {
							t.Errorf("no role %s-role", base)
							continue
						}
						if got, wantRole := fn.Inputs["role"].StringValue(), fmt.Sprintf("arn:aws:iam::%s:role/%s-role-abc123", account, base); got != wantRole {
							t.Errorf("%s role = %q, want its own role %q", base, got, wantRole)
						}
					}
				}
				if got, wantN := len(s.ofType("aws:lambda/function:Function")), len(want.regions)*len(api.Functions()); got != wantN {
					t.Errorf("%d functions, want %d", got, wantN)
				}
			})

			t.Run("least privilege", func(t *testing.T) {
				for _, p := range s.ofType("aws:iam/rolePolicy:RolePolicy") {
					checkPolicy(t, p.Name, p.Inputs["policy"].StringValue())
				}
				for _, r := range s.ofType("aws:iam/role:Role") {
					checkPolicy(t, r.Name+" trust", r.Inputs["assumeRolePolicy"].StringValue())
				}
				for _, a := range s.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
					if got := a.Inputs["policyArn"].StringValue(); got != components.APIGatewayLogsPolicyArn {
						t.Errorf("%s attaches managed policy %s; only API Gateway's logging role may", a.Name, got)
					}
				}
				for _, region := range want.regions {
					logArn := func(fn string) string {
						return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/lambda/hush-%s-%s:log-stream:*", region, account, stack, fn)
					}
					// The log statement is written out; the table statements
					// are checked against what the code really calls
					// (checkGrantsMatchCalls): a Scan added to a role, or a
					// call the store makes without its grant, fails here.
					for _, spec := range api.Functions() {
						fn := spec.Name
						name := fmt.Sprintf("%s-%s-policy", region, fn)
						p := s.named("aws:iam/rolePolicy:RolePolicy", name)
						if p == nil {
							t.Errorf("no policy %s", name)
							continue
						}
						doc := p.Inputs["policy"].StringValue()
						var logs []grant
						for _, g := range grants(t, name, doc) {
							if !slices.Contains([]string{"Table", "Index", "WriteRegionProbe", "WriteRegionViews"}, g.Sid) {
								logs = append(logs, g)
							}
						}
						if want := []grant{{"Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, []string{logArn(string(fn))}}}; !reflect.DeepEqual(logs, want) {
							t.Errorf("%s: statements other than the table's\n%v\nwant\n%v", name, logs, want)
						}
						// The calls are derived against DynamoDB Local: the
						// fast tier (go test -short) skips this part, saying so.
						t.Run("grants match calls of "+name, func(t *testing.T) {
							testtier.Needs(t, testtier.DynamoDBLocal)
							checkGrantsMatchCalls(t, name, doc, fn, region, want.regions, "hush-"+stack)
						})
					}
				}
			})

			// The write region is data in the table: a function that were
			// told it would keep it until the next deploy, which is what a
			// move at run time must not depend on.
			t.Run("functions learn the regions, never the write region", func(t *testing.T) {
				for _, region := range want.regions {
					for _, spec := range api.Functions() {
						base := fmt.Sprintf("%s-%s", region, spec.Name)
						f := s.named("aws:lambda/function:Function", base)
						if f == nil {
							t.Fatalf("no function %s", base)
						}
						env := f.Inputs["environment"].ObjectValue()["variables"].ObjectValue()
						if got, wantRegions := env["HUSH_REGIONS"].StringValue(), strings.Join(slices.Sorted(slices.Values(want.regions)), ","); got != wantRegions {
							t.Errorf("%s HUSH_REGIONS = %q, want %q", base, got, wantRegions)
						}
						for k, v := range env {
							if strings.Contains(strings.ToUpper(string(k)), "WRITE") || (v.IsString() && v.StringValue() == want.writeRegion && len(want.regions) > 1) {
								t.Errorf("%s carries a write-region setting: %s=%v", base, k, v)
							}
						}
					}
				}
			})

			t.Run("one API document: integrations, authorizer on exactly the protected routes", func(t *testing.T) {
				for _, typ := range []string{"aws:apigateway/resource:Resource", "aws:apigateway/method:Method", "aws:apigateway/integration:Integration", "aws:apigateway/authorizer:Authorizer"} {
					if got := s.ofType(typ); len(got) != 0 {
						t.Errorf("%d %s resources; the whole API must come from the RestApi's body, so a removed route leaves in the same PUT", len(got), typ)
					}
				}
				wantPool := fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s_pool", home, account, home)
				for _, region := range want.regions {
					restAPI := s.named("aws:apigateway/restApi:RestApi", region+"-api")
					if restAPI == nil {
						t.Fatalf("no REST API in %s", region)
					}
					if got := stringInput(restAPI.Inputs["putRestApiMode"]); got != "overwrite" {
						t.Errorf("%s putRestApiMode = %q, want overwrite (a merge would keep removed routes)", region, got)
					}
					var doc struct {
						Paths      map[string]map[string]map[string]any
						Components struct {
							SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
						}
					}
					body := stringInput(restAPI.Inputs["body"])
					if err := json.Unmarshal([]byte(body), &doc); err != nil {
						t.Fatalf("%s body is not JSON: %v", region, err)
					}
					for _, route := range api.Routes() {
						op := doc.Paths[route.Path][strings.ToLower(route.Method)]
						integ, _ := op["x-amazon-apigateway-integration"].(map[string]any)
						wantURI := fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/arn:aws:lambda:%s:%s:function:hush-%s-%s/invocations", region, region, account, stack, route.Function)
						if integ["type"] != "aws_proxy" || integ["uri"] != wantURI {
							t.Errorf("%s %s in %s: integration %v, want aws_proxy to %s", route.Method, route.Path, region, integ, wantURI)
						}
						sec, _ := json.Marshal(op["security"])
						if secured := string(sec) == `[{"cognitoIdToken":[]}]`; secured != route.Auth {
							t.Errorf("%s %s in %s: security %s, want the Cognito authorizer exactly when auth is %v", route.Method, route.Path, region, sec, route.Auth)
						}
					}
					if got, wantN := len(doc.Paths), 8; got != wantN {
						t.Errorf("%s document has %d paths, want %d", region, got, wantN)
					}
					authz, _ := doc.Components.SecuritySchemes["cognitoIdToken"]["x-amazon-apigateway-authorizer"].(map[string]any)
					// The mocks' app client ID is "global-client-id"; a token of
					// any other client of the pool must not match.
					if got, _ := json.Marshal(authz); string(got) != `{"identitySource":"method.request.header.Authorization","identityValidationExpression":"^global-client-id$","providerARNs":["`+wantPool+`"],"type":"cognito_user_pools"}` {
						t.Errorf("%s authorizer = %s, want the home pool and the app client's ID, anchored", region, got)
					}
				}
			})

			t.Run("permissions scoped to the API", func(t *testing.T) {
				for _, region := range want.regions {
					execArn := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s-api-id/%s/", region, account, region, stack)
					perms := s.childrenOf("aws:lambda/permission:Permission", region)
					if len(perms) != len(api.Routes()) {
						t.Errorf("%s has %d permissions, want one per route (%d)", region, len(perms), len(api.Routes()))
					}
					for _, p := range perms {
						if got := p.Inputs["sourceArn"].StringValue(); !strings.HasPrefix(got, execArn) {
							t.Errorf("%s sourceArn = %q, want it under %s", p.Name, got, execArn)
						}
					}
				}
			})

			t.Run("stage, deployment, throttling", func(t *testing.T) {
				for _, region := range want.regions {
					stage := s.named("aws:apigateway/stage:Stage", region+"-stage")
					if stage == nil {
						t.Fatalf("no stage in %s", region)
					}
					if got := stage.Inputs["stageName"].StringValue(); got != stack {
						t.Errorf("stage name = %q, want %q", got, stack)
					}
					logs := stage.Inputs["accessLogSettings"].ObjectValue()
					if f := logs["format"].StringValue(); !json.Valid([]byte(f)) || !strings.Contains(f, `"requestId":"$context.requestId"`) {
						t.Errorf("access log format = %s, want JSON with requestId", f)
					}
					dep := s.named("aws:apigateway/deployment:Deployment", region+"-deployment")
					body := stringInput(s.named("aws:apigateway/restApi:RestApi", region+"-api").Inputs["body"])
					sum := sha256.Sum256([]byte(body))
					if dep == nil || dep.Inputs["triggers"].ObjectValue()["redeployment"].StringValue() != hex.EncodeToString(sum[:]) {
						t.Errorf("%s deployment's redeployment trigger is not the API document's SHA-256", region)
					}
					ms := s.named("aws:apigateway/methodSettings:MethodSettings", region+"-throttling").Inputs["settings"].ObjectValue()
					if got := s.named("aws:apigateway/methodSettings:MethodSettings", region+"-throttling").Inputs["methodPath"].StringValue(); got != "*/*" {
						t.Errorf("throttling method path = %q, want */* (every method, each with its own bucket)", got)
					}
					if got := ms["throttlingRateLimit"].NumberValue(); got != want.rate {
						t.Errorf("rate limit = %v, want %v", got, want.rate)
					}
					if got := ms["throttlingBurstLimit"].NumberValue(); got != want.burst {
						t.Errorf("burst limit = %v, want %v", got, want.burst)
					}
				}
			})

			t.Run("API Gateway account role owned once per account and region", func(t *testing.T) {
				var owned []string
				for _, a := range s.ofType("aws:apigateway/account:Account") {
					region := s.parentComponent(a).Name
					owned = append(owned, region)
					if !a.RegisterRPC.GetRetainOnDelete() {
						t.Errorf("%s API Gateway account setting is not retained on delete", region)
					}
				}
				slices.Sort(owned)
				if wantOwned := slices.Sorted(slices.Values(want.apigwAccount)); !slices.Equal(owned, wantOwned) {
					t.Errorf("API Gateway account settings in %v, want exactly %v (hush:apiGatewayAccount)", owned, wantOwned)
				}
				if got, wantN := len(s.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")), len(want.apigwAccount); got != wantN {
					t.Errorf("%d managed-policy attachments, want %d (one logging role per owned region)", got, wantN)
				}
			})

			t.Run("log retention", func(t *testing.T) {
				groups := s.ofType("aws:cloudwatch/logGroup:LogGroup")
				if got, wantN := len(groups), len(want.regions)*(len(api.Functions())+1); got != wantN {
					t.Errorf("%d log groups, want %d (one per function and the access log, per region)", got, wantN)
				}
				for _, g := range groups {
					if got := g.Inputs["retentionInDays"].NumberValue(); got != want.retention {
						t.Errorf("%s retention = %v days, want %v", g.Name, got, want.retention)
					}
				}
			})

			t.Run("alarms", func(t *testing.T) {
				for _, region := range want.regions {
					var metrics []string
					for _, a := range s.childrenOf("aws:cloudwatch/metricAlarm:MetricAlarm", region) {
						metrics = append(metrics, a.Inputs["namespace"].StringValue()+"/"+a.Inputs["metricName"].StringValue())
						if got := a.Inputs["alarmActions"].ArrayValue(); len(got) != 1 {
							t.Errorf("%s alarm actions = %v, want the region's topic", a.Name, got)
						}
					}
					for _, wantMetric := range []string{"AWS/Lambda/Errors", "AWS/ApiGateway/5XXError", "AWS/ApiGateway/Latency", "AWS/DynamoDB/ReadThrottleEvents", "AWS/DynamoDB/WriteThrottleEvents"} {
						if !slices.Contains(metrics, wantMetric) {
							t.Errorf("%s has no %s alarm (has %v)", region, wantMetric, metrics)
						}
					}
				}
			})

			t.Run("outputs", func(t *testing.T) {
				urls, _ := outputs[components.OutputAPIURLs].(map[string]string)
				if len(urls) != len(want.regions) {
					t.Errorf("apiUrls = %v, want one per region %v", urls, want.regions)
				}
				for _, region := range want.regions {
					wantURL := fmt.Sprintf("https://%s-api-id.execute-api.%s.amazonaws.com/%s", region, region, stack)
					if urls[region] != wantURL {
						t.Errorf("apiUrls[%s] = %v, want %s", region, urls[region], wantURL)
					}
				}
				checks := map[string]any{
					components.OutputAPIURL:           urls[home],
					components.OutputUserPoolID:       home + "_pool",
					components.OutputUserPoolClientID: "global-client-id",
					components.OutputTableName:        "hush-" + stack,
					components.OutputHomeRegion:       home,
				}
				for name, wantV := range checks {
					if got := fmt.Sprint(outputs[name]); got != fmt.Sprint(wantV) {
						t.Errorf("output %s = %v, want %v", name, got, wantV)
					}
				}
				if gotRegions := outputs[components.OutputRegions]; !reflect.DeepEqual(gotRegions, want.regions) {
					t.Errorf("output regions = %v, want %v", gotRegions, want.regions)
				}
			})
		})
	}
}

func TestConfigErrorsStopTheProgram(t *testing.T) {
	tests := []struct {
		name string
		key  string
		set  string // "" deletes the key
		want string
	}{
		{"empty region list", "hush:regions", `[]`, "hush:regions: is empty"},
		{"missing region list", "hush:regions", "", "hush:regions: required"},
		{"duplicated region", "hush:regions", `["eu-central-1","eu-central-1"]`, `hush:regions: region "eu-central-1" is listed twice`},
		{"unknown region", "hush:regions", `["eu-central-1","eu-centrl-1"]`, `hush:regions: unknown region "eu-centrl-1" (did you mean "eu-central-1"?); valid regions are`},
		{"bad retention", "hush:logRetentionDays", "10", `hush:logRetentionDays: "10" is not a retention CloudWatch Logs accepts`},
		{"bad throttle", "hush:throttle", `{"rateLimit":0,"burstLimit":5}`, "hush:throttle.rateLimit: must be set and greater than 0"},
		{"bad e-mail", "hush:alarmEmail", "ops", `hush:alarmEmail: "ops" is not a plain e-mail address`},
		{"unknown key", "hush:logRetentionDay", "7", "hush:logRetentionDay: unknown key; did you mean hush:logRetentionDays?"},
		{"API Gateway account outside the stack", "hush:apiGatewayAccount", `["us-west-2"]`, `hush:apiGatewayAccount: region "us-west-2" is not one of the stack's regions`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := projectConfig(t, "dev")
			if tt.set == "" {
				delete(config, tt.key)
			} else {
				config[tt.key] = tt.set
			}
			resources, _, err := run(t, "dev", config)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("program error = %v, want it to contain %q", err, tt.want)
			}
			if len(resources) != 0 {
				t.Errorf("%d resources declared before the config error, want none (first: %s %s)", len(resources), resources[0].TypeToken, resources[0].Name)
			}
		})
	}
}

// snapshot indexes the registered resources.
type snapshot struct {
	all []pulumi.MockResourceArgs
}

func newSnapshot(resources []pulumi.MockResourceArgs) snapshot {
	return snapshot{all: resources}
}

func (s snapshot) ofType(typ string) []pulumi.MockResourceArgs {
	var out []pulumi.MockResourceArgs
	for _, r := range s.all {
		if r.TypeToken == typ {
			out = append(out, r)
		}
	}
	return out
}

func (s snapshot) named(typ, name string) *pulumi.MockResourceArgs {
	for _, r := range s.all {
		if r.TypeToken == typ && r.Name == name {
			return &r
		}
	}
	return nil
}

func (s snapshot) only(t *testing.T, typ string) pulumi.MockResourceArgs {
	t.Helper()
	rs := s.ofType(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	return rs[0]
}

// parentComponent returns the component a resource is a child of, found by
// the parent URN's type and name.
func (s snapshot) parentComponent(r pulumi.MockResourceArgs) pulumi.MockResourceArgs {
	parent := r.RegisterRPC.GetParent()
	for _, c := range s.all {
		if c.Custom {
			continue
		}
		if strings.HasSuffix(parent, "::"+c.TypeToken+"::"+c.Name) || strings.HasSuffix(parent, "$"+c.TypeToken+"::"+c.Name) {
			return c
		}
	}
	return pulumi.MockResourceArgs{}
}

func (s snapshot) childrenOf(typ, region string) []pulumi.MockResourceArgs {
	var out []pulumi.MockResourceArgs
	for _, r := range s.ofType(typ) {
		if p := s.parentComponent(r); p.TypeToken == "hush:index:RegionalHush" && p.Name == region {
			out = append(out, r)
		}
	}
	return out
}

// parsePolicy reads an IAM policy document as the local cloud's
// evaluator does (package iampolicy), so the checks here read what it
// enforces.
func parsePolicy(t *testing.T, name, doc string) iampolicy.Document {
	t.Helper()
	p, err := iampolicy.Parse(doc)
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, doc)
	}
	return p
}

// checkPolicy fails on any wildcard action and any wildcard resource. The one
// exception is the log stream part of a named log group, since Lambda names
// its streams at run time.
func checkPolicy(t *testing.T, name, doc string) {
	t.Helper()
	for _, st := range parsePolicy(t, name, doc).Statement {
		for _, a := range st.Action {
			if strings.Contains(a, "*") {
				t.Errorf("%s: wildcard action %q", name, a)
			}
		}
		for _, r := range st.Resource {
			stripped := strings.TrimSuffix(r, ":log-stream:*")
			if strings.Contains(stripped, "*") || (stripped != r && !strings.Contains(stripped, ":log-group:/aws/lambda/")) {
				t.Errorf("%s: wildcard resource %q", name, r)
			}
		}
	}
}

// arrayOf returns an array input's elements; an empty array is not sent at all.
func arrayOf(v resource.PropertyValue) []resource.PropertyValue {
	if !v.IsArray() {
		return nil
	}
	return v.ArrayValue()
}

// stringInput returns a string input's value, "" when it is unset.
func stringInput(v resource.PropertyValue) string {
	if !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// grant is one Allow statement of a policy.
type grant struct {
	Sid       string
	Actions   []string
	Resources []string
}

// grants returns the statements of a policy, failing on anything but Allow.
func grants(t *testing.T, name, doc string) []grant {
	t.Helper()
	p := parsePolicy(t, name, doc)
	var out []grant
	for _, st := range p.Statement {
		if st.Effect != "Allow" {
			t.Errorf("%s: statement %q has effect %q", name, st.Sid, st.Effect)
		}
		out = append(out, grant{Sid: st.Sid, Actions: st.Action, Resources: st.Resource})
	}
	return out
}

// TestSESEmail checks that hush:sesEmail makes the user pool send through
// the stack's SES identity, and that without it the pool keeps Cognito's
// default sender.
func TestSESEmail(t *testing.T) {
	const arn = "arn:aws:ses:eu-west-1:123456789012:identity/example.com"
	for _, tt := range []struct {
		name string
		ses  string
		want map[string]string
	}{
		{"default sender", "", nil},
		{"own SES identity", `{"identityArn":"` + arn + `","from":"no-reply@example.com"}`,
			map[string]string{"emailSendingAccount": "DEVELOPER", "sourceArn": arn, "fromEmailAddress": "no-reply@example.com"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			config := projectConfig(t, "dev")
			if tt.ses != "" {
				config["hush:sesEmail"] = tt.ses
			}
			resources, _, err := run(t, "dev", config)
			if err != nil {
				t.Fatal(err)
			}
			var pools int
			for _, r := range resources {
				if r.TypeToken != "aws:cognito/userPool:UserPool" {
					continue
				}
				pools++
				got := r.Inputs["emailConfiguration"]
				if tt.want == nil {
					if got.IsObject() && got.ObjectValue()["sourceArn"].IsString() {
						t.Errorf("emailConfiguration = %v, want Cognito's default sender", got)
					}
					continue
				}
				if !got.IsObject() {
					t.Fatalf("emailConfiguration = %v, want %v", got, tt.want)
				}
				for k, want := range tt.want {
					if v := got.ObjectValue()[resource.PropertyKey(k)]; !v.IsString() || v.StringValue() != want {
						t.Errorf("emailConfiguration.%s = %v, want %q", k, v, want)
					}
				}
			}
			if pools != 1 {
				t.Errorf("%d user pools, want 1", pools)
			}
		})
	}
}
