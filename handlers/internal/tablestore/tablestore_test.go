package tablestore

import (
	"context"
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
