package components

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/dynamo"
	"github.com/hush-scores/hush/writeregion"
)

// Where the write region's views live in the table (package dynamo keeps
// them, one item per replica: see writeregion's package comment).
const (
	viewPK       = "WRITEREGION"
	viewSKPrefix = "VIEW#"
	// SeedBy is what a seeded view records as who changed it last.
	SeedBy = "seed (pulumi)"
)

// SeedView is the view this program writes into region's replica when the
// stack is created: the write region of hush:writeRegion at epoch 1, open.
func SeedView(region, writeRegion string) writeregion.View {
	return writeregion.View{Replica: region, WriteRegion: writeRegion, Epoch: 1, State: writeregion.Open, By: SeedBy}
}

// viewItem is v as a DynamoDB item in the JSON of attribute values that
// aws.dynamodb.TableItem takes: the attributes dynamo.Control reads (a
// view without a lease leaves lease_until out).
func viewItem(v writeregion.View) (string, error) {
	s := func(x string) map[string]string { return map[string]string{"S": x} }
	item := map[string]map[string]string{
		dynamo.AttrPK:  s(viewPK),
		dynamo.AttrSK:  s(viewSKPrefix + v.Replica),
		"write_region": s(v.WriteRegion),
		"epoch":        {"N": fmt.Sprint(v.Epoch)},
		"state":        s(string(v.State)),
		"by":           s(v.By),
	}
	b, err := json.Marshal(item)
	if err != nil {
		return "", fmt.Errorf("components: encode the view of %s: %w", v.Replica, err)
	}
	return string(b), nil
}

// newWriteRegionSeed writes this region's own view of the write region
// into its replica, on this region's provider (a view is written only in
// its own replica: writeregion's package comment says why), after the
// replica exists. hush:writeRegion only seeds it: the item's content is
// ignored after creation, so a later `pulumi up` never reverts a move
// made at run time by the operator command, nor a lease a function wrote.
// The view then lives in the table: `pulumi destroy` deletes the item
// with the table anyway.
func (r *RegionalHush) newWriteRegionSeed(ctx *pulumi.Context, name string, args RegionalHushArgs, on []pulumi.ResourceOption) error {
	item, err := viewItem(SeedView(args.Region, args.Stack.WriteRegion))
	if err != nil {
		return err
	}
	opts := append(on, pulumi.IgnoreChanges([]string{"item"}))
	if r.Replica != nil {
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{r.Replica}))
	}
	if _, err := dynamodb.NewTableItem(ctx, name+"-write-region-view", &dynamodb.TableItemArgs{
		TableName: args.TableName,
		HashKey:   pulumi.String(dynamo.AttrPK),
		RangeKey:  pulumi.String(dynamo.AttrSK),
		Item:      pulumi.String(item),
	}, opts...); err != nil {
		return fmt.Errorf("components: %s write region view: %w", name, err)
	}
	return nil
}
