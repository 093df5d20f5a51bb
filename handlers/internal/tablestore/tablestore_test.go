package tablestore

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestLambdaConfig(t *testing.T) {
	t.Setenv(envRegion, "eu-west-1")
	t.Setenv(envAccessKeyID, "AKIDEXAMPLE")
	t.Setenv(envSecretKey, "secret")
	t.Setenv(envSessionToken, "token")
	cfg, err := lambdaConfig(context.Background())
	if err != nil {
		t.Fatalf("lambdaConfig: %v", err)
	}
	if got, want := cfg.Region, "eu-west-1"; got != want {
		t.Errorf("region = %q, want %q", got, want)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	if creds.AccessKeyID != "AKIDEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
		t.Errorf("credentials = %q/%q/%q, want the environment's", creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	}
}

func TestLambdaConfigNamesAMissingVariable(t *testing.T) {
	for _, missing := range []string{envRegion, envAccessKeyID, envSecretKey} {
		t.Run(missing, func(t *testing.T) {
			t.Setenv(envRegion, "eu-west-1")
			t.Setenv(envAccessKeyID, "AKIDEXAMPLE")
			t.Setenv(envSecretKey, "secret")
			t.Setenv(missing, "")
			_, err := lambdaConfig(context.Background())
			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Errorf("lambdaConfig without %s: error %v, want one naming it", missing, err)
			}
		})
	}
}

func TestRegions(t *testing.T) {
	tests := []struct {
		name, value, region string
		want                []string
		wantErr             string // a part of the error; "" means none
	}{
		{"prod", "eu-central-1,eu-west-1,us-east-1", "eu-west-1", []string{"eu-central-1", "eu-west-1", "us-east-1"}, ""},
		{"spaces and a repeat", " eu-central-1 , eu-west-1,eu-central-1", "eu-central-1", []string{"eu-central-1", "eu-west-1"}, ""},
		{"one region", "eu-central-1", "eu-central-1", []string{"eu-central-1"}, ""},
		{"unset", "", "eu-west-1", nil, "HUSH_REGIONS is not set"},
		{"an empty region", "eu-central-1,,eu-west-1", "eu-west-1", nil, "an empty region"},
		{"without this region", "eu-central-1,us-east-1", "eu-west-1", nil, "does not list this function's region eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Regions(tt.value, tt.region)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Regions(%q) error = %v, want one saying %q", tt.value, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Regions(%q) = %v, %v; want %v", tt.value, got, err, tt.want)
			}
		})
	}
}
