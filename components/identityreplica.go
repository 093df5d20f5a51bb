package components

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudcontrol"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cognito"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hush-scores/hush/stackconfig"
)

// The user pool's replica (hush:identityReplicaRegion), as Amazon Cognito's
// developer guide describes multi-Region replication ("Multi-Region
// replication for user pools",
// https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-multi-region.html,
// read 2026-12-04):
//   - the pool must be on the Essentials or Plus feature plan (the Lite plan
//     cannot have MRR), and MRR is a separate add-on cost;
//   - the pool must be encrypted with a multi-Region customer managed KMS
//     key available in every region with a replica (KeyConfigurationType:
//     "You must use a multi-region key to enable multi-region replication");
//   - the updated ("multi-Region") issuer is recommended for consistent
//     token validation (the English page and most translations say
//     "recommend"; the amazonaws.cn copy says "must");
//   - a pool has at most one secondary replica, in another region;
//   - a new secondary starts INACTIVE ("not accepting requests for
//     end-users", UserPoolReplicaType);
//   - a secondary cannot create users (no sign-up, no admin-created users),
//     reset passwords or change profiles, and does not support TOTP MFA;
//     lockout counts of failed sign-ins are kept per replica; settings and
//     the directory reach it eventually consistently, with a short delay.
//
// pulumi-aws v6.83.4 (go.mod) has cognito.UserPool.UserPoolTier but no key
// or issuer settings and no replica resource; the replica is
// AWS::Cognito::UserPoolReplica through Cloud Control (cloudcontrol.Resource).
// CloudFormation documents the type (RegionName and UserPoolId, both
// replacing on change, and UserPoolTagsAtCreate); the Cloud Control provider
// (aws-native, v1.74.1 of 2026-08-03) publishes it, which it does only for
// types Cloud Control can manage. The Cloud Control user guide's table of
// supported types was last updated before MRR launched, so it does not list
// it: Cloud Control support is inferred, not read in AWS's own table.

// IdentityFeaturePlan is the user pool's feature plan when it has a replica:
// the cheapest plan that allows multi-Region replication.
const IdentityFeaturePlan = "ESSENTIALS"

// UserPoolReplicaType is the CloudFormation type of a user pool's replica.
const UserPoolReplicaType = "AWS::Cognito::UserPoolReplica"

// IdentityReplica is the user pool's second region: the multi-Region KMS key
// the pool is encrypted with, the key's replica in the replica region, and
// the pool's replica itself.
type IdentityReplica struct {
	pulumi.ResourceState

	// Region is the replica's region (hush:identityReplicaRegion).
	Region string
	// Key is the multi-Region customer managed key, in the home region.
	Key *kms.Key
	// KeyReplica is the key's replica in the replica region.
	KeyReplica *kms.ReplicaKey
	// Replica is the pool's replica (Cloud Control's
	// AWS::Cognito::UserPoolReplica, created through the home region).
	Replica *cloudcontrol.Resource
	// PoolArn is the replica pool's ARN: the home pool's ARN with the
	// replica's region. Cognito documents that replicas share the pool ID;
	// the ARN's form (UserPoolReplicaType.UserPoolArn) is not documented, so
	// this is an inference (unverified).
	PoolArn pulumi.StringOutput
}

// NewIdentityReplica declares the user pool's replica: the key in the home
// region, its replica and the pool's replica in cfg.Identity.ReplicaRegion.
// The pool must already use the key before Cognito creates the replica; see
// the runbook in docs/deploying.md (pulumi cannot set the pool's key).
func NewIdentityReplica(ctx *pulumi.Context, name string, cfg stackconfig.Stack, home, replica *aws.Provider, pool *cognito.UserPool, opts ...pulumi.ResourceOption) (*IdentityReplica, error) {
	region := cfg.Identity.ReplicaRegion
	if region == "" || home == nil || replica == nil || pool == nil {
		return nil, fmt.Errorf("components: %s: a replica region, both providers and the pool are required", name)
	}
	r := &IdentityReplica{Region: region}
	if err := ctx.RegisterComponentResource("hush:index:IdentityReplica", name, r, opts...); err != nil {
		return nil, fmt.Errorf("components: register %s: %w", name, err)
	}
	// Losing the key loses every user: the pool's data cannot be read
	// without it. Everything here carries Pulumi's protect where the stack
	// asks for it; the keys also have KMS's longest deletion window and are
	// retained when removed from the program (dropping
	// hush:identityReplicaRegion must not schedule the deletion of a key
	// the pool still uses: switch the pool back first, see
	// docs/deploying.md).
	stateful := func(p *aws.Provider) []pulumi.ResourceOption {
		return []pulumi.ResourceOption{pulumi.Parent(r), pulumi.Provider(p), pulumi.Protect(cfg.Protect)}
	}
	key := func(p *aws.Provider) []pulumi.ResourceOption {
		return append(stateful(p), pulumi.RetainOnDelete(true))
	}
	policy := pool.Arn.ApplyT(func(arn string) (string, error) {
		return UserPoolKeyPolicy(accountOf(arn))
	}).(pulumi.StringOutput)

	mrk, err := kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:          pulumi.Sprintf("Hush %s: encrypts the user pool and its replica in %s (Cognito multi-Region replication)", cfg.Name, region),
		MultiRegion:          pulumi.Bool(true),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
		Policy:               policy,
	}, key(home)...)
	if err != nil {
		return nil, fmt.Errorf("components: %s key: %w", name, err)
	}
	keyReplica, err := kms.NewReplicaKey(ctx, name+"-key-replica", &kms.ReplicaKeyArgs{
		Description:          pulumi.Sprintf("Hush %s: the user pool key's replica for the pool's replica in %s", cfg.Name, region),
		PrimaryKeyArn:        mrk.Arn,
		DeletionWindowInDays: pulumi.Int(30),
		Policy:               policy,
	}, key(replica)...)
	if err != nil {
		return nil, fmt.Errorf("components: %s key replica: %w", name, err)
	}
	desired := pool.ID().ToStringOutput().ApplyT(func(id string) (string, error) {
		b, err := json.Marshal(map[string]string{"UserPoolId": id, "RegionName": region})
		return string(b), err
	}).(pulumi.StringOutput)
	// Cognito's CreateUserPoolReplica is called in the primary's region
	// with the replica's region as a parameter, so the resource lives on the
	// home provider. It needs the key's replica in place first.
	poolReplica, err := cloudcontrol.NewResource(ctx, name+"-pool-replica", &cloudcontrol.ResourceArgs{
		TypeName:     pulumi.String(UserPoolReplicaType),
		DesiredState: desired,
	}, append(stateful(home), pulumi.DependsOn([]pulumi.Resource{keyReplica}))...)
	if err != nil {
		return nil, fmt.Errorf("components: %s pool replica: %w", name, err)
	}
	r.Key, r.KeyReplica, r.Replica = mrk, keyReplica, poolReplica
	r.PoolArn = pool.Arn.ApplyT(func(arn string) string { return regionalArn(arn, region) }).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(r, pulumi.Map{
		"region":         pulumi.String(region),
		"keyArn":         mrk.Arn,
		"keyReplicaArn":  keyReplica.Arn,
		"replicaPoolArn": r.PoolArn,
	}); err != nil {
		return nil, fmt.Errorf("components: register %s outputs: %w", name, err)
	}
	return r, nil
}

// accountOf returns the account field of an ARN.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	return parts[4]
}

// CognitoServicePrincipal is the principal Cognito user pools act as.
const CognitoServicePrincipal = "cognito-idp.amazonaws.com"

// UserPoolKeyPolicy is the key policy of the user pool's key and its
// replica: the account administers it through IAM, as KMS's default policy
// allows, and Cognito user pools of this account (aws:SourceAccount) may use
// it to encrypt and decrypt the pool's data. Which KMS actions Cognito calls
// for a customer managed key is not spelled out on a page found here
// (unverified); the list is the envelope-encryption set plus grants.
func UserPoolKeyPolicy(account string) (string, error) {
	if account == "" {
		return "", fmt.Errorf("components: user pool key policy: no account")
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":       "AccountAdministersTheKey",
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"},
				"Action":    "kms:*",
				"Resource":  "*",
			},
			map[string]any{
				"Sid":       "CognitoUserPoolsOfThisAccount",
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": CognitoServicePrincipal},
				"Action": []string{
					"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
					"kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant",
				},
				"Resource":  "*",
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}},
			},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("components: user pool key policy: %w", err)
	}
	return string(b), nil
}

// userPoolTier is the pool's feature plan: Essentials with a replica;
// otherwise unset, so that a pool keeps the plan it has (changing a plan
// changes its price, which a stack should not do silently).
func userPoolTier(cfg stackconfig.Stack) pulumi.StringPtrInput {
	if cfg.Identity.Replicated() {
		return pulumi.String(IdentityFeaturePlan)
	}
	return nil
}
