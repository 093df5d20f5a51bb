package userpool

import (
	"reflect"
	"testing"
)

func TestIssuers(t *testing.T) {
	for _, tt := range []struct {
		name                       string
		typ, home, replica, poolID string
		want                       []string
		fails                      bool
	}{
		{"original, no replica", IssuerOriginal, "eu-central-1", "", "eu-central-1_abc",
			[]string{"https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_abc"}, false},
		{"original with a replica: both regions", IssuerOriginal, "eu-central-1", "eu-west-1", "eu-central-1_abc",
			[]string{"https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_abc", "https://cognito-idp.eu-west-1.amazonaws.com/eu-central-1_abc"}, false},
		{"updated: the primary region only", IssuerUpdated, "eu-central-1", "eu-west-1", "eu-central-1_abc",
			[]string{"https://issuer-cognito-idp.eu-central-1.amazonaws.com/eu-central-1_abc"}, false},
		{"unknown type", "NEW", "eu-central-1", "", "p", nil, true},
		{"no pool", IssuerOriginal, "eu-central-1", "", "", nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Issuers(tt.typ, tt.home, tt.replica, tt.poolID)
			if (err != nil) != tt.fails || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Issuers = %v, %v; want %v, failing %v", got, err, tt.want, tt.fails)
			}
		})
	}
}
