package poolcheck

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

const keyArn = "arn:aws:kms:eu-central-1:123456789012:key/mrk-1"

type fakeAPI struct {
	pool     types.UserPoolType
	replicas []types.UserPoolReplicaType
	updated  *cip.UpdateUserPoolInput
	err      error
}

func (f *fakeAPI) DescribeUserPool(_ context.Context, in *cip.DescribeUserPoolInput, _ ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	p := f.pool
	return &cip.DescribeUserPoolOutput{UserPool: &p}, nil
}

func (f *fakeAPI) UpdateUserPool(_ context.Context, in *cip.UpdateUserPoolInput, _ ...func(*cip.Options)) (*cip.UpdateUserPoolOutput, error) {
	f.updated = in
	return &cip.UpdateUserPoolOutput{}, nil
}

func (f *fakeAPI) ListUserPoolReplicas(context.Context, *cip.ListUserPoolReplicasInput, ...func(*cip.Options)) (*cip.ListUserPoolReplicasOutput, error) {
	return &cip.ListUserPoolReplicasOutput{UserPoolReplicas: f.replicas}, nil
}

func ready() *fakeAPI {
	return &fakeAPI{
		pool: types.UserPoolType{
			Id: aws.String("eu-central-1_p"), UserPoolTier: types.UserPoolTierTypeEssentials,
			KeyConfiguration:    &types.KeyConfigurationType{KeyType: types.EncryptionKeyTypeCustomerManagedKey, KmsKeyArn: aws.String(keyArn)},
			IssuerConfiguration: &types.IssuerConfigurationType{Type: types.IssuerTypeOriginal},
		},
		replicas: []types.UserPoolReplicaType{
			{RegionName: aws.String("eu-central-1"), Role: types.ReplicaRoleTypePrimary, Status: types.ReplicaStatusTypeActive},
			{RegionName: aws.String("eu-west-1"), Role: types.ReplicaRoleTypeSecondary, Status: types.ReplicaStatusTypeActive},
		},
	}
}

var want = Want{PoolID: "eu-central-1_p", KeyArn: keyArn, Issuer: types.IssuerTypeOriginal, ReplicaRegion: "eu-west-1"}

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*fakeAPI)
		want   []string // substrings, one per problem
	}{
		{"ready", func(*fakeAPI) {}, nil},
		{"Lite plan", func(f *fakeAPI) { f.pool.UserPoolTier = types.UserPoolTierTypeLite }, []string{`feature plan is "LITE"`}},
		{"key reset to AWS owned", func(f *fakeAPI) { f.pool.KeyConfiguration = nil }, []string{"encrypted with AWS owned key"}},
		{"another key", func(f *fakeAPI) {
			f.pool.KeyConfiguration.KmsKeyArn = aws.String("arn:aws:kms:eu-central-1:123456789012:key/other")
		}, []string{"encrypted with arn:aws:kms:eu-central-1:123456789012:key/other"}},
		{"issuer reset", func(f *fakeAPI) { f.pool.IssuerConfiguration = nil }, nil},
		{"issuer not the one asked", func(f *fakeAPI) { f.pool.IssuerConfiguration.Type = types.IssuerTypeUpdated }, []string{"issuer is UPDATED, want ORIGINAL"}},
		{"replica inactive", func(f *fakeAPI) { f.replicas[1].Status = types.ReplicaStatusTypeInactive }, []string{"INACTIVE: it refuses sign-in"}},
		{"no replica", func(f *fakeAPI) { f.replicas = f.replicas[:1] }, []string{"no secondary replica in eu-west-1"}},
		{"replica elsewhere", func(f *fakeAPI) { f.replicas[1].RegionName = aws.String("us-east-1") }, []string{"no secondary replica in eu-west-1"}},
		{"everything missing", func(f *fakeAPI) {
			f.pool.UserPoolTier, f.pool.KeyConfiguration, f.replicas = types.UserPoolTierTypeLite, nil, nil
		}, []string{"feature plan", "AWS owned key", "no secondary replica"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := ready()
			tt.change(f)
			got, err := Check(context.Background(), f, want)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %v, want %d containing %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].String(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
	t.Run("multi-Region issuer asked, original in place", func(t *testing.T) {
		w := want
		w.Issuer = types.IssuerTypeUpdated
		got, err := Check(context.Background(), ready(), w)
		if err != nil || len(got) != 1 || !strings.Contains(got[0].What, "issuer is ORIGINAL, want UPDATED") {
			t.Errorf("Check = %v, %v; want the issuer problem", got, err)
		}
	})
	t.Run("describe fails", func(t *testing.T) {
		f := ready()
		f.err = errors.New("throttled")
		if _, err := Check(context.Background(), f, want); err == nil || !strings.Contains(err.Error(), "throttled") {
			t.Errorf("Check error = %v, want the describe error", err)
		}
	})
}

func TestApplyKeepsEverySetting(t *testing.T) {
	f := ready()
	f.pool.KeyConfiguration, f.pool.IssuerConfiguration = nil, nil
	f.pool.Name = aws.String("hush-prod")
	f.pool.DeletionProtection = types.DeletionProtectionTypeActive
	f.pool.AdminCreateUserConfig = &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}
	f.pool.UserPoolTags = map[string]string{"stack": "prod"}
	w := want
	w.Issuer = types.IssuerTypeUpdated
	if err := Apply(context.Background(), f, w); err != nil {
		t.Fatal(err)
	}
	in := f.updated
	if in == nil {
		t.Fatal("no UpdateUserPool call")
	}
	if in.KeyConfiguration == nil || in.KeyConfiguration.KeyType != types.EncryptionKeyTypeCustomerManagedKey || aws.ToString(in.KeyConfiguration.KmsKeyArn) != keyArn {
		t.Errorf("key configuration = %+v, want the customer managed key %s", in.KeyConfiguration, keyArn)
	}
	if in.IssuerConfiguration == nil || in.IssuerConfiguration.Type != types.IssuerTypeUpdated {
		t.Errorf("issuer configuration = %+v, want UPDATED", in.IssuerConfiguration)
	}
	if aws.ToString(in.PoolName) != "hush-prod" || in.DeletionProtection != types.DeletionProtectionTypeActive ||
		in.AdminCreateUserConfig == nil || !in.AdminCreateUserConfig.AllowAdminCreateUserOnly || in.UserPoolTags["stack"] != "prod" ||
		in.UserPoolTier != types.UserPoolTierTypeEssentials {
		t.Errorf("the update does not carry the pool's settings through: %+v", in)
	}
	if err := Apply(context.Background(), f, Want{PoolID: "p", KeyArn: "mrk-1"}); err == nil {
		t.Error("Apply with a key ID instead of an ARN succeeded")
	}
}

// TestUpdateFromCoversEveryParameter fills every field of a pool and checks
// that UpdateFrom copies each parameter UpdateUserPool takes: a parameter an
// SDK update adds, left out here, would be reset by Apply.
func TestUpdateFromCoversEveryParameter(t *testing.T) {
	var pool types.UserPoolType
	pv := reflect.ValueOf(&pool).Elem()
	for i := range pv.NumField() {
		if f := pv.Field(i); f.CanSet() {
			fill(f)
		}
	}
	in := reflect.ValueOf(UpdateFrom(pool)).Elem()
	for i := range in.NumField() {
		field := in.Type().Field(i)
		if !field.IsExported() {
			continue
		}
		if in.Field(i).IsZero() {
			t.Errorf("UpdateFrom leaves %s unset: UpdateUserPool would reset it", field.Name)
		}
	}
}

// fill sets v to a non-zero value of its type.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		if v.Elem().Kind() == reflect.String {
			v.Elem().SetString("x")
		}
	case reflect.String:
		v.SetString("X")
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem())
		v.Set(m)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(1)
	}
}
