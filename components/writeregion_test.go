package components_test

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/components"
	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/internal/dynamolocal"
	"github.com/hush-scores/hush/internal/dynamolocal/dynamotest"
	"github.com/hush-scores/hush/internal/testtier"
	"github.com/hush-scores/hush/writeregion"
)

const tableItemType = "aws:dynamodb/tableItem:TableItem"

// TestWriteRegionIsSeededPerReplica checks prod's seed of the write
// region: one view per region, written through that region's provider
// into its own replica (after the replica exists), saying hush:writeRegion
// at epoch 1, open, and with its content ignored after creation.
func TestWriteRegionIsSeededPerReplica(t *testing.T) {
	resources, _, err := run(t, "prod", projectConfig(t, "prod"))
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	s := newSnapshot(resources)
	items := s.ofType(tableItemType)
	if len(items) != 3 {
		t.Fatalf("%d table items, want one write region view per region (3)", len(items))
	}
	for _, region := range []string{"eu-central-1", "eu-west-1", "us-east-1"} {
		t.Run(region, func(t *testing.T) {
			item := s.named(tableItemType, region+"-write-region-view")
			if item == nil {
				t.Fatalf("no write region view for %s", region)
			}
			if got := providerRegion(item.Provider); got != region {
				t.Errorf("the view of %s is written through the %q provider, want its own region's", region, got)
			}
			if got := item.Inputs["tableName"].StringValue(); got != "hush-prod" {
				t.Errorf("tableName = %q, want hush-prod", got)
			}
			if h, r := item.Inputs["hashKey"].StringValue(), item.Inputs["rangeKey"].StringValue(); h != "PK" || r != "SK" {
				t.Errorf("keys = %q/%q, want PK/SK", h, r)
			}
			var got map[string]map[string]string
			if err := json.Unmarshal([]byte(item.Inputs["item"].StringValue()), &got); err != nil {
				t.Fatalf("item %s: %v", item.Inputs["item"].StringValue(), err)
			}
			want := map[string]map[string]string{
				"PK": {"S": "WRITEREGION"}, "SK": {"S": "VIEW#" + region},
				"write_region": {"S": "eu-central-1"}, "epoch": {"N": "1"}, "state": {"S": "open"},
				"by": {"S": "seed (pulumi)"},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("item = %v\nwant %v", got, want)
			}
			if got := item.RegisterRPC.GetIgnoreChanges(); !slices.Contains(got, "item") {
				t.Errorf("ignoreChanges = %v, want item: a later pulumi up would revert a move made at run time", got)
			}
			if region != "eu-central-1" {
				want := "aws:dynamodb/tableReplica:TableReplica::" + region + "-replica"
				if !slices.ContainsFunc(item.RegisterRPC.GetDependencies(), func(urn string) bool { return strings.HasSuffix(urn, want) }) {
					t.Errorf("the view of %s does not wait for its replica; dependencies %v", region, item.RegisterRPC.GetDependencies())
				}
			}
		})
	}
}

// TestPulumiUpKeepsAMovedWriteRegion runs prod's program twice, the second
// time with another hush:writeRegion, as an operator who "moves" it by
// config after a move made at run time would. Nothing deployed may change
// but the seed items' content, which Pulumi ignores after creation: so the
// second `pulumi up` writes nothing, and the moved write region stays.
func TestPulumiUpKeepsAMovedWriteRegion(t *testing.T) {
	first, _, err := run(t, "prod", projectConfig(t, "prod"))
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	config := projectConfig(t, "prod")
	config["hush:writeRegion"] = "us-east-1"
	second, _, err := run(t, "prod", config)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	byURN := func(rs []pulumi.MockResourceArgs) map[string]pulumi.MockResourceArgs {
		out := map[string]pulumi.MockResourceArgs{}
		for _, r := range rs {
			out[r.TypeToken+"::"+r.Name] = r
		}
		return out
	}
	a, b := byURN(first), byURN(second)
	if got, want := slices.Sorted(maps.Keys(b)), slices.Sorted(maps.Keys(a)); !slices.Equal(got, want) {
		t.Fatalf("the second run declares other resources:\n%v\nwant\n%v", got, want)
	}
	changedItems := 0
	for urn, ra := range a {
		rb := b[urn]
		diff := rb.Inputs.Diff(ra.Inputs)
		if diff == nil || !diff.AnyChanges() {
			continue
		}
		keys := diff.ChangedKeys()
		if ra.TypeToken != tableItemType || !slices.Equal(keys, []resource.PropertyKey{"item"}) {
			t.Errorf("%s: inputs %v change with hush:writeRegion; only the seed items' ignored content may", urn, keys)
			continue
		}
		if ignored := rb.RegisterRPC.GetIgnoreChanges(); !slices.Contains(ignored, "item") {
			t.Errorf("%s: its content changed and is not ignored (%v): pulumi up would revert a move", urn, ignored)
		}
		changedItems++
	}
	if changedItems != 3 {
		t.Errorf("%d seed items changed with hush:writeRegion, want the 3 views (the test must see the change it says is ignored)", changedItems)
	}
}

// TestSeedItemIsAView writes the seed item the program declares into
// DynamoDB Local as Pulumi's TableItem does (PutItem of the item's JSON)
// and reads it back with dynamo.Control, the functions' reader of the
// views: the program's item and the store's view must agree, or a new
// stack would start with writes refused ("not seeded").
func TestSeedItemIsAView(t *testing.T) {
	testtier.Needs(t, testtier.DynamoDBLocal)
	resources, _, err := run(t, "prod", projectConfig(t, "prod"))
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	item := newSnapshot(resources).named(tableItemType, "eu-west-1-write-region-view")
	if item == nil {
		t.Fatal("no write region view for eu-west-1")
	}
	var raw map[string]map[string]string
	if err := json.Unmarshal([]byte(item.Inputs["item"].StringValue()), &raw); err != nil {
		t.Fatal(err)
	}
	av := map[string]types.AttributeValue{}
	for name, v := range raw {
		switch {
		case v["S"] != "":
			av[name] = &types.AttributeValueMemberS{Value: v["S"]}
		case v["N"] != "":
			av[name] = &types.AttributeValueMemberN{Value: v["N"]}
		default:
			t.Fatalf("attribute %s = %v: neither S nor N", name, v)
		}
	}
	setup := dynamotest.Start(t, patient)
	table := dynamotest.NewTable(t, setup, dynamo.CreateTable)
	client, err := dynamolocal.NewClient(context.Background(), dynamotest.Endpoint(t), "eu-west-1", dynamo.ConfigureClient, patient)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
		t.Fatalf("put the seed item: %v", err)
	}
	views, err := dynamo.NewControl(client, table, "eu-west-1").Views(t.Context())
	if err != nil {
		t.Fatalf("Views: %v", err)
	}
	want := writeregion.View{Replica: "eu-west-1", WriteRegion: "eu-central-1", Epoch: 1, State: writeregion.Open, By: components.SeedBy}
	if len(views) != 1 || views[0] != want {
		t.Errorf("views = %+v, want [%+v]", views, want)
	}
}
