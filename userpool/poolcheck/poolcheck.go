// Package poolcheck checks, and sets, what Cognito multi-Region replication
// needs of a user pool that pulumi-aws cannot set: its KMS key and its
// issuer. pulumi-aws v6 has no key or issuer settings on cognito.UserPool,
// and Cognito's UpdateUserPool resets every parameter a call leaves out
// (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-updating.html),
// so a pool update from Pulumi may strip them. Check says whether they still
// hold (run it after every `pulumi up`); Apply sets them with a
// read-modify-write that carries every other setting through.
package poolcheck

import (
	"context"
	"fmt"
	"strings"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// API is the part of the Cognito client the check and the step call, in
// the home region.
type API interface {
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, opts ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	UpdateUserPool(ctx context.Context, in *cip.UpdateUserPoolInput, opts ...func(*cip.Options)) (*cip.UpdateUserPoolOutput, error)
	ListUserPoolReplicas(ctx context.Context, in *cip.ListUserPoolReplicasInput, opts ...func(*cip.Options)) (*cip.ListUserPoolReplicasOutput, error)
}

// Want is what the stack asks of its pool.
type Want struct {
	PoolID string
	// KeyArn is the multi-Region key in the home region (stack output
	// identityKeyArn).
	KeyArn string
	// Issuer is types.IssuerTypeOriginal or types.IssuerTypeUpdated.
	Issuer types.IssuerType
	// ReplicaRegion is the secondary's region.
	ReplicaRegion string
}

// Problem is one thing that does not hold, with what to do about it.
type Problem struct {
	What, Fix string
}

func (p Problem) String() string { return p.What + " (" + p.Fix + ")" }

// Check reports every requirement of the pool and its replica that does not
// hold; none means the replica is ready to serve. It changes nothing.
func Check(ctx context.Context, api API, want Want) ([]Problem, error) {
	out, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &want.PoolID})
	if err != nil {
		return nil, fmt.Errorf("poolcheck: describe pool %s: %w", want.PoolID, err)
	}
	pool := out.UserPool
	if pool == nil {
		return nil, fmt.Errorf("poolcheck: describe pool %s: no pool in the answer", want.PoolID)
	}
	var problems []Problem
	if t := pool.UserPoolTier; t != types.UserPoolTierTypeEssentials && t != types.UserPoolTierTypePlus {
		problems = append(problems, Problem{
			What: fmt.Sprintf("feature plan is %q; multi-Region replication needs ESSENTIALS or PLUS", t),
			Fix:  "run `pulumi up`: the program sets ESSENTIALS when hush:identityReplicaRegion is set",
		})
	}
	if k := pool.KeyConfiguration; k == nil || k.KeyType != types.EncryptionKeyTypeCustomerManagedKey || deref(k.KmsKeyArn) != want.KeyArn {
		got := "AWS owned key"
		if k != nil && k.KeyType == types.EncryptionKeyTypeCustomerManagedKey {
			got = deref(k.KmsKeyArn)
		}
		problems = append(problems, Problem{
			What: fmt.Sprintf("pool is encrypted with %s, want the multi-Region key %s", got, want.KeyArn),
			Fix:  "run the apply step (hush-idcheck -apply); a pool update from Pulumi may have reset it",
		})
	}
	if i := pool.IssuerConfiguration; want.Issuer != "" && issuerOf(i) != want.Issuer {
		problems = append(problems, Problem{
			What: fmt.Sprintf("issuer is %s, want %s", issuerOf(i), want.Issuer),
			Fix:  "run the apply step (hush-idcheck -apply); a pool update from Pulumi may have reset it",
		})
	}
	replicas, err := api.ListUserPoolReplicas(ctx, &cip.ListUserPoolReplicasInput{UserPoolId: &want.PoolID})
	if err != nil {
		return nil, fmt.Errorf("poolcheck: list replicas of %s: %w", want.PoolID, err)
	}
	problems = append(problems, checkReplica(replicas.UserPoolReplicas, want.ReplicaRegion)...)
	return problems, nil
}

func checkReplica(replicas []types.UserPoolReplicaType, region string) []Problem {
	for _, r := range replicas {
		if deref(r.RegionName) != region || r.Role != types.ReplicaRoleTypeSecondary {
			continue
		}
		switch r.Status {
		case types.ReplicaStatusTypeActive:
			return nil
		case types.ReplicaStatusTypeInactive:
			return []Problem{{
				What: fmt.Sprintf("the replica in %s is INACTIVE: it refuses sign-in", region),
				Fix:  fmt.Sprintf("aws cognito-idp update-user-pool-replica --region %s --user-pool-id <pool> --region-name %s --status ACTIVE", region, region),
			}}
		default:
			return []Problem{{What: fmt.Sprintf("the replica in %s is %s", region, r.Status), Fix: "wait, then check again"}}
		}
	}
	return []Problem{{
		What: fmt.Sprintf("no secondary replica in %s", region),
		Fix:  "run `pulumi up` once the pool holds the key (the apply step); if Cognito refuses the replica, the pool is not eligible: see the fallback in docs/deploying.md",
	}}
}

// Apply sets the pool's key and issuer in one UpdateUserPool that repeats
// every other setting DescribeUserPool reports, so that nothing is reset
// to a default. It is the documented out-of-band step; Check afterwards.
func Apply(ctx context.Context, api API, want Want) error {
	if want.KeyArn == "" || !strings.HasPrefix(want.KeyArn, "arn:") {
		return fmt.Errorf("poolcheck: the key ARN %q is not an ARN (stack output identityKeyArn)", want.KeyArn)
	}
	out, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: &want.PoolID})
	if err != nil {
		return fmt.Errorf("poolcheck: describe pool %s: %w", want.PoolID, err)
	}
	if out.UserPool == nil {
		return fmt.Errorf("poolcheck: describe pool %s: no pool in the answer", want.PoolID)
	}
	in := UpdateFrom(*out.UserPool)
	in.KeyConfiguration = &types.KeyConfigurationType{KeyType: types.EncryptionKeyTypeCustomerManagedKey, KmsKeyArn: &want.KeyArn}
	if want.Issuer != "" {
		in.IssuerConfiguration = &types.IssuerConfigurationType{Type: want.Issuer}
	}
	if _, err := api.UpdateUserPool(ctx, in); err != nil {
		return fmt.Errorf("poolcheck: update pool %s: %w", want.PoolID, err)
	}
	return nil
}

// UpdateFrom returns the UpdateUserPool request that leaves pool as it is:
// every parameter UpdateUserPool takes, copied from what DescribeUserPool
// reported. The schema, alias and username attributes are not parameters of
// UpdateUserPool (they are fixed at creation).
func UpdateFrom(pool types.UserPoolType) *cip.UpdateUserPoolInput {
	return &cip.UpdateUserPoolInput{
		UserPoolId:                  pool.Id,
		PoolName:                    pool.Name,
		AccountRecoverySetting:      pool.AccountRecoverySetting,
		AdminCreateUserConfig:       pool.AdminCreateUserConfig,
		AutoVerifiedAttributes:      pool.AutoVerifiedAttributes,
		DeletionProtection:          pool.DeletionProtection,
		DeviceConfiguration:         pool.DeviceConfiguration,
		EmailConfiguration:          pool.EmailConfiguration,
		EmailVerificationMessage:    pool.EmailVerificationMessage,
		EmailVerificationSubject:    pool.EmailVerificationSubject,
		IssuerConfiguration:         pool.IssuerConfiguration,
		KeyConfiguration:            pool.KeyConfiguration,
		LambdaConfig:                pool.LambdaConfig,
		MfaConfiguration:            pool.MfaConfiguration,
		Policies:                    pool.Policies,
		SmsAuthenticationMessage:    pool.SmsAuthenticationMessage,
		SmsConfiguration:            pool.SmsConfiguration,
		SmsVerificationMessage:      pool.SmsVerificationMessage,
		UserAttributeUpdateSettings: pool.UserAttributeUpdateSettings,
		UserPoolAddOns:              pool.UserPoolAddOns,
		UserPoolTags:                pool.UserPoolTags,
		UserPoolTier:                pool.UserPoolTier,
		VerificationMessageTemplate: pool.VerificationMessageTemplate,
	}
}

func issuerOf(i *types.IssuerConfigurationType) types.IssuerType {
	if i == nil || i.Type == "" {
		return types.IssuerTypeOriginal // Cognito's default
	}
	return i.Type
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
