package stackconfig

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// valid returns a complete, valid config; each case changes one thing.
func valid() map[string]string {
	return map[string]string{
		"aws:region":                       "eu-central-1",
		"pulumi:disable-default-providers": `["*"]`,
		"hush:regions":                     `["eu-central-1","eu-west-1"]`,
		"hush:homeRegion":                  "eu-central-1",
		"hush:logRetentionDays":            "30",
		"hush:pointInTimeRecovery":         "true",
		"hush:deletionProtection":          "false",
		"hush:protect":                     "false",
		"hush:throttle":                    `{"rateLimit":50,"burstLimit":100}`,
		"hush:alarmEmail":                  "ops@example.com",
	}
}

func TestParseValid(t *testing.T) {
	values := valid()
	values["hush:domain"] = `{"hostedZoneId":"Z123","name":"api.example.com"}`
	got, err := Parse("stage", values)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Stack{
		Name:                "stage",
		Regions:             []string{"eu-central-1", "eu-west-1"},
		Home:                "eu-central-1",
		LogRetentionDays:    30,
		PointInTimeRecovery: true,
		Throttle:            Throttle{RateLimit: 50, BurstLimit: 100},
		AlarmEmail:          "ops@example.com",
		Domain:              &Domain{HostedZoneID: "Z123", Name: "api.example.com"},
		WriteRegion:         "eu-central-1",
		Identity:            Identity{Issuer: IssuerOriginal, Authorizer: AuthorizerCognito},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse = %+v, want %+v", got, want)
	}
	if got.HomeRegion() != "eu-central-1" {
		t.Errorf("HomeRegion = %q, want eu-central-1", got.HomeRegion())
	}
	if r := got.ReplicaRegions(); !reflect.DeepEqual(r, []string{"eu-west-1"}) {
		t.Errorf("ReplicaRegions = %v, want [eu-west-1]", r)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string // "" deletes the key
		// want are substrings of the error message, the first being the key.
		want []string
	}{
		{"missing regions", map[string]string{"hush:regions": ""}, []string{"hush:regions: required"}},
		{"empty regions", map[string]string{"hush:regions": `[]`}, []string{"hush:regions: is empty"}},
		{"regions not a list", map[string]string{"hush:regions": `"eu-central-1"`}, []string{"hush:regions: must be a list"}},
		{"duplicated region", map[string]string{"hush:regions": `["eu-central-1","eu-west-1","eu-central-1"]`}, []string{`hush:regions: region "eu-central-1" is listed twice`}},
		{"unknown region", map[string]string{"hush:regions": `["eu-centrl-1"]`, "aws:region": "", "hush:homeRegion": "eu-centrl-1"}, []string{`hush:regions: unknown region "eu-centrl-1"`, `did you mean "eu-central-1"?`, "valid regions are af-south-1,"}},
		{"missing home region", map[string]string{"hush:homeRegion": ""}, []string{"hush:homeRegion: required but not set", "the first of hush:regions, eu-central-1"}},
		{"home region outside the stack", map[string]string{"hush:homeRegion": "us-east-1", "aws:region": ""}, []string{`hush:homeRegion: "us-east-1" is not one of the stack's regions eu-central-1, eu-west-1`, "must be listed in hush:regions"}},
		{"home region typo", map[string]string{"hush:homeRegion": "eu-west-2", "aws:region": ""}, []string{`hush:homeRegion: "eu-west-2" is not one of`, `did you mean "eu-west-1"?`}},
		{"aws:region is not the pinned home", map[string]string{"hush:regions": `["eu-west-1","eu-central-1"]`, "aws:region": "eu-west-1"}, []string{`aws:region: is "eu-west-1" but the home region (hush:homeRegion) is "eu-central-1"`}},
		{"non-commercial region", map[string]string{"hush:regions": `["cn-north-1"]`, "aws:region": "", "hush:homeRegion": "cn-north-1"}, []string{`hush:regions: unknown region "cn-north-1"`}},
		{"aws:region differs from home", map[string]string{"aws:region": "eu-west-1"}, []string{`aws:region: is "eu-west-1" but the home region`, `"eu-central-1"`}},
		{"retention not allowed", map[string]string{"hush:logRetentionDays": "10"}, []string{`hush:logRetentionDays: "10" is not a retention`, "valid values (days) are 1, 3, 5, 7, 14"}},
		{"retention not a number", map[string]string{"hush:logRetentionDays": "week"}, []string{`hush:logRetentionDays: "week"`}},
		{"missing retention", map[string]string{"hush:logRetentionDays": ""}, []string{"hush:logRetentionDays: required"}},
		{"bool not a bool", map[string]string{"hush:pointInTimeRecovery": "yes"}, []string{`hush:pointInTimeRecovery: "yes" is not a boolean; use true or false`}},
		{"missing protect", map[string]string{"hush:protect": ""}, []string{"hush:protect: required"}},
		{"zero rate", map[string]string{"hush:throttle": `{"rateLimit":0,"burstLimit":10}`}, []string{"hush:throttle.rateLimit: must be set and greater than 0"}},
		{"negative burst", map[string]string{"hush:throttle": `{"rateLimit":5,"burstLimit":-1}`}, []string{"hush:throttle.burstLimit: must be set and greater than 0"}},
		{"missing burst", map[string]string{"hush:throttle": `{"rateLimit":5}`}, []string{"hush:throttle.burstLimit"}},
		{"typo inside throttle", map[string]string{"hush:throttle": `{"rateLimt":5,"burstLimit":10}`}, []string{"hush:throttle: must be an object", `unknown field "rateLimt"`}},
		{"bad e-mail", map[string]string{"hush:alarmEmail": "ops at example.com"}, []string{`hush:alarmEmail: "ops at example.com" is not a plain e-mail address`}},
		{"e-mail with a name", map[string]string{"hush:alarmEmail": "Ops <ops@example.com>"}, []string{"hush:alarmEmail: "}},
		{"unknown key near a known one", map[string]string{"hush:logRetentionDay": "7"}, []string{"hush:logRetentionDay: unknown key; did you mean hush:logRetentionDays?"}},
		{"unknown key far from any", map[string]string{"hush:colour": "blue"}, []string{"hush:colour: unknown key; valid keys are hush:regions,"}},
		{"domain without zone", map[string]string{"hush:domain": `{"name":"api.example.com"}`}, []string{"hush:domain.hostedZoneId: must be set"}},
		{"domain with a bad name", map[string]string{"hush:domain": `{"hostedZoneId":"Z1","name":"https://x"}`}, []string{`hush:domain.name: "https://x" is not a domain name`}},
		{"zone ID with its /hostedzone/ prefix", map[string]string{"hush:domain": `{"hostedZoneId":"/hostedzone/Z1ABC","name":"api.example.com"}`}, []string{`hush:domain.hostedZoneId: "/hostedzone/Z1ABC": give the bare ID "Z1ABC"`}},
		{"zone ID in lower case", map[string]string{"hush:domain": `{"hostedZoneId":"z1abc","name":"api.example.com"}`}, []string{`hush:domain.hostedZoneId: "z1abc" is not a Route 53 hosted zone ID`}},
		{"domain in upper case", map[string]string{"hush:domain": `{"hostedZoneId":"Z1","name":"API.example.com"}`}, []string{`hush:domain.name: "API.example.com" is not a domain name`, `label "API"`}},
		{"domain with a trailing dot", map[string]string{"hush:domain": `{"hostedZoneId":"Z1","name":"api.example.com."}`}, []string{"hush:domain.name: ", "drop the trailing dot"}},
		{"wildcard domain", map[string]string{"hush:domain": `{"hostedZoneId":"Z1","name":"*.example.com"}`}, []string{"hush:domain.name: ", "wildcard"}},
		{"label ending in a hyphen", map[string]string{"hush:domain": `{"hostedZoneId":"Z1","name":"api-.example.com"}`}, []string{`label "api-"`}},
		{"single label", map[string]string{"hush:domain": `{"hostedZoneId":"Z1","name":"localhost"}`}, []string{"at least two labels"}},
		{"drill without a domain", map[string]string{"hush:failoverDrill": `["eu-west-1"]`}, []string{"hush:failoverDrill: needs hush:domain"}},
		{"drill of a foreign region", map[string]string{"hush:domain": `{"hostedZoneId":"Z1","name":"api.example.com"}`, "hush:failoverDrill": `["us-east-1"]`}, []string{`hush:failoverDrill: region "us-east-1" is not one of the stack's regions eu-central-1, eu-west-1`}},
		{"drill of every region", map[string]string{"hush:domain": `{"hostedZoneId":"Z1","name":"api.example.com"}`, "hush:failoverDrill": `["eu-west-1","eu-central-1"]`}, []string{"hush:failoverDrill: names every region", "leave at least one region out"}},
		{"write region outside the stack", map[string]string{"hush:writeRegion": "us-east-1"}, []string{`hush:writeRegion: "us-east-1" is not one of the stack's regions eu-central-1, eu-west-1`, "leave it unset"}},
		{"write region misspelt", map[string]string{"hush:writeRegion": "eu-west1"}, []string{`hush:writeRegion: "eu-west1"`, `did you mean "eu-west-1"?`}},
		{"write region empty", map[string]string{"hush:writeRegion": " "}, []string{`hush:writeRegion: " " is not one of the stack's regions`}},
		{"SES identity not an ARN", map[string]string{"hush:sesEmail": `{"identityArn":"example.com","from":"no-reply@example.com"}`}, []string{`hush:sesEmail.identityArn: "example.com" is not an SES identity ARN`}},
		{"SES sender with a name", map[string]string{"hush:sesEmail": `{"identityArn":"arn:aws:ses:eu-west-1:123456789012:identity/example.com","from":"Hush <no-reply@example.com>"}`}, []string{"hush:sesEmail.from: ", "not a plain e-mail address"}},
		{"SES identity in a region the pool cannot use", map[string]string{"hush:sesEmail": `{"identityArn":"arn:aws:ses:us-east-1:123456789012:identity/example.com","from":"no-reply@example.com"}`}, []string{"hush:sesEmail.identityArn: the identity is in us-east-1, but a user pool in eu-central-1 (hush:homeRegion) can send only through SES in eu-central-1 or eu-west-1"}},
		{"SES typo", map[string]string{"hush:sesEmail": `{"identity":"arn:aws:ses:eu-west-1:123456789012:identity/example.com","from":"no-reply@example.com"}`}, []string{"hush:sesEmail: must be an object", `unknown field "identity"`}},
		{"drill not a list", map[string]string{"hush:domain": `{"hostedZoneId":"Z1","name":"api.example.com"}`, "hush:failoverDrill": `"eu-west-1"`}, []string{"hush:failoverDrill: must be a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := valid()
			for k, v := range tt.set {
				if v == "" {
					delete(values, k)
				} else {
					values[k] = v
				}
			}
			_, err := Parse("dev", values)
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error = %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// TestHomeRegionIsPinned checks that the order of hush:regions does not
// move the home region: only hush:homeRegion does.
func TestHomeRegionIsPinned(t *testing.T) {
	tests := []struct {
		name     string
		regions  string
		home     string
		replicas []string
	}{
		{"home listed first", `["eu-central-1","eu-west-1","us-east-1"]`, "eu-central-1", []string{"eu-west-1", "us-east-1"}},
		{"the same regions reordered", `["us-east-1","eu-west-1","eu-central-1"]`, "eu-central-1", []string{"us-east-1", "eu-west-1"}},
		{"home listed last", `["eu-west-1","eu-central-1"]`, "eu-central-1", []string{"eu-west-1"}},
		{"another home", `["eu-central-1","eu-west-1"]`, "eu-west-1", []string{"eu-central-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := valid()
			values["hush:regions"], values["hush:homeRegion"] = tt.regions, tt.home
			delete(values, "aws:region")
			got, err := Parse("stage", values)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.HomeRegion() != tt.home {
				t.Errorf("HomeRegion = %q, want %q", got.HomeRegion(), tt.home)
			}
			if !reflect.DeepEqual(got.ReplicaRegions(), tt.replicas) {
				t.Errorf("ReplicaRegions = %v, want %v", got.ReplicaRegions(), tt.replicas)
			}
			if got.WriteRegion != tt.home {
				t.Errorf("WriteRegion = %q, want the home region %q when hush:writeRegion is unset", got.WriteRegion, tt.home)
			}
		})
	}
}

func TestParseRetiringRegions(t *testing.T) {
	tests := []struct {
		name  string
		set   string
		want  []string
		error string
	}{
		{"one region", `["eu-west-1"]`, []string{"eu-west-1"}, ""},
		{"empty", `[]`, nil, ""},
		{"not a region of the stack", `["us-east-1"]`, nil, `hush:retiringRegions: region "us-east-1" is not one of the stack's regions`},
		{"the home region", `["eu-central-1"]`, nil, `hush:retiringRegions: "eu-central-1" is the home region`},
		{"not a list", `"eu-west-1"`, nil, "hush:retiringRegions: must be a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := valid()
			values["hush:retiringRegions"] = tt.set
			got, err := Parse("stage", values)
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got.RetiringRegions, tt.want) {
				t.Errorf("RetiringRegions = %v, want %v", got.RetiringRegions, tt.want)
			}
			for _, r := range got.Regions {
				if got.Retiring(r) != slices.Contains(tt.want, r) {
					t.Errorf("Retiring(%s) = %v", r, got.Retiring(r))
				}
			}
		})
	}
	values := valid()
	values["hush:writeRegion"], values["hush:retiringRegions"] = "eu-west-1", `["eu-west-1"]`
	if _, err := Parse("stage", values); err == nil || !strings.Contains(err.Error(), `"eu-west-1" is the write region; move the write region first`) {
		t.Errorf("retiring the write region: error = %v, want it refused", err)
	}
}

func TestSESIdentityRegion(t *testing.T) {
	tests := []struct {
		home, identity string
		ok             bool
	}{
		{"eu-central-1", "eu-central-1", true}, // its own region, always
		{"eu-central-1", "eu-west-1", true},    // the guide's legacy alternate
		{"eu-central-1", "us-east-1", false},
		{"eu-west-1", "eu-west-1", true},
		{"eu-west-1", "eu-central-1", false},
		{"us-east-2", "us-east-1", true},
		{"eu-north-1", "eu-west-1", false}, // no alternate: its own region only
		{"eu-north-1", "eu-north-1", true},
	}
	for _, tt := range tests {
		t.Run(tt.home+" from "+tt.identity, func(t *testing.T) {
			values := valid()
			values["hush:regions"], values["hush:homeRegion"] = `["`+tt.home+`"]`, tt.home
			delete(values, "aws:region")
			values["hush:sesEmail"] = `{"identityArn":"arn:aws:ses:` + tt.identity + `:123456789012:identity/example.com","from":"no-reply@example.com"}`
			_, err := Parse("stage", values)
			if got := err == nil; got != tt.ok {
				t.Errorf("a pool in %s with an identity in %s: error %v, want accepted = %v", tt.home, tt.identity, err, tt.ok)
			}
		})
	}
}

func TestParseWriteRegion(t *testing.T) {
	tests := []struct {
		name string
		set  string // "" leaves the key out
		want string
	}{
		{"unset means the home region", "", "eu-central-1"},
		{"the home region named", "eu-central-1", "eu-central-1"},
		{"another region of the stack", "eu-west-1", "eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := valid()
			if tt.set != "" {
				values["hush:writeRegion"] = tt.set
			}
			got, err := Parse("stage", values)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.WriteRegion != tt.want {
				t.Errorf("WriteRegion = %q, want %q", got.WriteRegion, tt.want)
			}
		})
	}
}

func TestParseDomainAndDrill(t *testing.T) {
	tests := []struct {
		name   string
		domain string
		drill  string // "" leaves the key out
		want   []string
	}{
		{"no drill", `{"hostedZoneId":"Z0123456789ABC","name":"api.example.com"}`, "", nil},
		{"empty drill", `{"hostedZoneId":"Z0123456789ABC","name":"api.example.com"}`, `[]`, nil},
		{"one region, in stack order", `{"hostedZoneId":"Z0123456789ABC","name":"api.example.com"}`, `["eu-west-1"]`, []string{"eu-west-1"}},
		{"named twice", `{"hostedZoneId":"Z0123456789ABC","name":"a-b.api.example.com"}`, `["eu-west-1","eu-west-1"]`, []string{"eu-west-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := valid()
			values["hush:domain"] = tt.domain
			if tt.drill != "" {
				values["hush:failoverDrill"] = tt.drill
			}
			got, err := Parse("stage", values)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Domain == nil {
				t.Fatal("Domain is nil, want the parsed domain")
			}
			if !reflect.DeepEqual(got.FailoverDrill, tt.want) {
				t.Errorf("FailoverDrill = %v, want %v", got.FailoverDrill, tt.want)
			}
		})
	}
}

func TestParseReportsEveryError(t *testing.T) {
	values := valid()
	values["hush:regions"] = `[]`
	values["hush:logRetentionDays"] = "2"
	_, err := Parse("dev", values)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want Errors", err)
	}
	var keys []string
	for _, e := range errs {
		keys = append(keys, e.Key)
	}
	if want := []string{"hush:logRetentionDays", "hush:regions"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("error keys = %v, want %v", keys, want)
	}
}

func TestLoadFileStacks(t *testing.T) {
	tests := []struct {
		stack   string
		regions []string
		days    int
		prod    bool
	}{
		{"dev", []string{"eu-central-1"}, 7, false},
		{"stage", []string{"eu-central-1", "eu-west-1"}, 30, false},
		{"prod", []string{"eu-central-1", "eu-west-1", "us-east-1"}, 365, true},
	}
	for _, tt := range tests {
		t.Run(tt.stack, func(t *testing.T) {
			s, err := LoadFile(File("..", tt.stack))
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			if s.Name != tt.stack {
				t.Errorf("Name = %q, want %q", s.Name, tt.stack)
			}
			if !reflect.DeepEqual(s.Regions, tt.regions) {
				t.Errorf("Regions = %v, want %v", s.Regions, tt.regions)
			}
			if s.LogRetentionDays != tt.days {
				t.Errorf("LogRetentionDays = %d, want %d", s.LogRetentionDays, tt.days)
			}
			if s.DeletionProtection != tt.prod || s.Protect != tt.prod {
				t.Errorf("DeletionProtection, Protect = %v, %v, want %v", s.DeletionProtection, s.Protect, tt.prod)
			}
			if s.HomeRegion() != "eu-central-1" {
				t.Errorf("HomeRegion = %q, want eu-central-1, where the table and user pool are", s.HomeRegion())
			}
			if s.WriteRegion != "eu-central-1" {
				t.Errorf("WriteRegion = %q, want the home region eu-central-1", s.WriteRegion)
			}
			if s.Throttle.RateLimit <= 0 || s.AlarmEmail == "" {
				t.Errorf("Throttle, AlarmEmail = %+v, %q, want both set", s.Throttle, s.AlarmEmail)
			}
		})
	}
}

func TestReadFileEncodesLikePulumi(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Pulumi.test.yaml")
	yaml := "config:\n  hush:regions:\n    - us-east-1\n  hush:logRetentionDays: 14\n  hush:protect: true\n  hush:throttle:\n    rateLimit: 1.5\n    burstLimit: 3\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	want := map[string]string{
		"hush:regions":          `["us-east-1"]`,
		"hush:logRetentionDays": "14",
		"hush:protect":          "true",
		"hush:throttle":         `{"burstLimit":3,"rateLimit":1.5}`,
	}
	if !maps.Equal(got, want) {
		t.Errorf("ReadFile = %v, want %v", got, want)
	}
}

func TestLoadFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Pulumi.broken.yaml")
	if err := os.WriteFile(path, []byte("config:\n  hush:regions: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "hush:regions: is empty") {
		t.Errorf("LoadFile error = %v, want it to name %s and hush:regions", err, path)
	}
}
