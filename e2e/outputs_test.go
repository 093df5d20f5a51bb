package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadOutputs checks the reading of `pulumi stack output --json`, the
// way the suite finds a deployed stack.
func TestReadOutputs(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    map[string]string
		wantErr string
	}{
		{
			name: "every region",
			json: `{"apiUrls":{"eu-central-1":"https://a/prod","us-east-1":"https://b/prod"},"apiUrl":"https://a/prod",
				"userPoolId":"eu-central-1_X","userPoolClientId":"c","homeRegion":"eu-central-1","tableName":"hush-prod","regions":["eu-central-1","us-east-1"]}`,
			want: map[string]string{"eu-central-1": "https://a/prod", "us-east-1": "https://b/prod"},
		},
		{
			name: "home URL only",
			json: `{"apiUrl":"https://a/dev","userPoolId":"p","userPoolClientId":"c","homeRegion":"eu-central-1"}`,
			want: map[string]string{"eu-central-1": "https://a/dev"},
		},
		{name: "no pool", json: `{"apiUrl":"https://a/dev","userPoolClientId":"c","homeRegion":"eu-central-1"}`, wantErr: "lacks"},
		{name: "not JSON", json: `Current stack outputs (2):`, wantErr: "pulumi stack output --json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outputs.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readOutputs(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("readOutputs: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("readOutputs: %v", err)
			}
			if len(got.URLs) != len(tt.want) {
				t.Errorf("URLs = %v, want %v", got.URLs, tt.want)
			}
			for region, url := range tt.want {
				if got.URLs[region] != url {
					t.Errorf("URLs[%s] = %q, want %q", region, got.URLs[region], url)
				}
			}
			if got.Home != "eu-central-1" || got.ClientID != "c" {
				t.Errorf("home %q client %q, want eu-central-1 and c", got.Home, got.ClientID)
			}
		})
	}
}
