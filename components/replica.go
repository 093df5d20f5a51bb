package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newReplica declares this region's replica of the global table, on this
// region's provider, as its own dynamodb.TableReplica rather than as an
// inline replica of the table: only the separate resource has per-replica
// deletion protection and can carry Pulumi's protect, and it takes the
// region provider's default tags, which inline replicas do not get.
//
// In a stack with protect (prod), removing a region from hush:regions
// would delete that region's replica and its data. Pulumi refuses to delete
// a protected resource, so `pulumi up` stops there. To go ahead, the
// operator first lists the region in hush:retiringRegions and runs `pulumi
// up`, which lifts both protections of that replica only (Pulumi applies a
// protect option turned off in the program on the next run), then removes
// the region. Every other replica, the table and the user pool stay
// protected throughout, so nothing needs turning back on. The runbook in
// docs/operations.md ("Removing a region") says how.
func (r *RegionalHush) newReplica(ctx *pulumi.Context, name string, args RegionalHushArgs, on []pulumi.ResourceOption) error {
	cfg := args.Stack
	retiring := cfg.Retiring(args.Region)
	replica, err := dynamodb.NewTableReplica(ctx, name+"-replica", &dynamodb.TableReplicaArgs{
		GlobalTableArn:            args.TableArn,
		PointInTimeRecovery:       pulumi.Bool(cfg.PointInTimeRecovery),
		DeletionProtectionEnabled: pulumi.Bool(cfg.DeletionProtection && !retiring),
	}, append(on, pulumi.Protect(cfg.Protect && !retiring))...)
	if err != nil {
		return fmt.Errorf("components: %s table replica: %w", name, err)
	}
	r.Replica = replica
	return nil
}
