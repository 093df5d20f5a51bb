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
// a protected resource, so `pulumi up` stops there; to go ahead, the
// operator acknowledges it explicitly with `pulumi state unprotect` on the
// replica's URN (and lifts AWS's deletion protection) first. The runbook in
// docs/operations.md ("Removing a region") says how.
func (r *RegionalHush) newReplica(ctx *pulumi.Context, name string, args RegionalHushArgs, on []pulumi.ResourceOption) error {
	cfg := args.Stack
	replica, err := dynamodb.NewTableReplica(ctx, name+"-replica", &dynamodb.TableReplicaArgs{
		GlobalTableArn:            args.TableArn,
		PointInTimeRecovery:       pulumi.Bool(cfg.PointInTimeRecovery),
		DeletionProtectionEnabled: pulumi.Bool(cfg.DeletionProtection),
	}, append(on, pulumi.Protect(cfg.Protect))...)
	if err != nil {
		return fmt.Errorf("components: %s table replica: %w", name, err)
	}
	r.Replica = replica
	return nil
}
