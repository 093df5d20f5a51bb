// Package stackconfig reads and validates the configuration of one Hush stack
// (the `hush:` keys of a Pulumi.<stack>.yaml) into a typed struct, before any
// resource is declared. The Pulumi program and the local stack both read it,
// so the stack files are the one source of truth for a stack's regions.
package stackconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Namespace is the Pulumi config namespace of Hush (the project name).
const Namespace = "hush"

// The keys of the hush namespace, without the "hush:" prefix.
const (
	KeyRegions             = "regions"
	KeyHomeRegion          = "homeRegion"
	KeyLogRetentionDays    = "logRetentionDays"
	KeyPointInTimeRecovery = "pointInTimeRecovery"
	KeyDeletionProtection  = "deletionProtection"
	KeyProtect             = "protect"
	KeyThrottle            = "throttle"
	KeyAlarmEmail          = "alarmEmail"
	KeyDomain              = "domain"
	KeyFailoverDrill       = "failoverDrill"
	KeyWriteRegion         = "writeRegion"
	KeySESEmail            = "sesEmail"
	KeyRetiringRegions     = "retiringRegions"
	KeySelfSignUp          = "selfSignUp"
)

// knownKeys lists every key of the hush namespace; anything else is a typo.
var knownKeys = []string{
	KeyRegions, KeyHomeRegion, KeyLogRetentionDays, KeyPointInTimeRecovery, KeyDeletionProtection,
	KeyProtect, KeyThrottle, KeyAlarmEmail, KeyDomain, KeyFailoverDrill,
	KeyAPIGatewayAccount, KeyWriteRegion, KeySESEmail, KeyRetiringRegions, KeySelfSignUp,
}

// Stack is the validated configuration of one stack.
type Stack struct {
	// Name is the Pulumi stack name (dev, stage, prod).
	Name string
	// Regions are the AWS regions the stack runs in, in the order the
	// stack file lists them; the order means nothing to the program.
	Regions []string
	// Home is the home region, which holds the table and the user pool:
	// hush:homeRegion, one of Regions. It is pinned by its own key, not
	// taken from the order of hush:regions, because the home providers
	// follow it: a different home region means a new table and a new user
	// pool (every user lost), and reordering a list must not do that.
	Home string
	// LogRetentionDays is the retention of every log group.
	LogRetentionDays int
	// PointInTimeRecovery turns on PITR on the table and every replica.
	PointInTimeRecovery bool
	// DeletionProtection turns on the table's and user pool's own deletion protection.
	DeletionProtection bool
	// Protect sets Pulumi's protect option on the stateful resources.
	Protect bool
	// SelfSignUp lets anyone create an account (Cognito SignUp); without
	// it only an administrator creates users (AdminCreateUser). Unset
	// means off: an account may record matches in any tournament, so a
	// stack opens sign-up only when it says so (dev and stage do, for the
	// e2e sign-up flows).
	SelfSignUp bool
	// Throttle is the stage-wide API Gateway throttling.
	Throttle Throttle
	// AlarmEmail receives the alarms' notifications.
	AlarmEmail string
	// Domain is the optional custom domain; nil when the stack has none.
	Domain *Domain
	// FailoverDrill lists regions whose Route 53 health check is inverted,
	// so that DNS drops them as if they had failed; empty outside a drill.
	// It needs a domain and must leave at least one region healthy.
	FailoverDrill []string
	// APIGatewayAccount lists the regions where this stack owns API
	// Gateway's account-wide CloudWatch Logs role (one owner per account
	// and region); empty means another stack owns it everywhere.
	APIGatewayAccount []string
	// WriteRegion seeds the write region: the one region whose replica
	// takes every write (POST, PUT, DELETE), whichever region received the
	// request, so that conditions and transactions hold across regions. It
	// is one of Regions; an unset hush:writeRegion means the home region,
	// where Cognito lives already. It only seeds: the write region is data
	// in the table (package writeregion), written into each replica's view
	// when the stack is created and moved at run time by the operator
	// command on the data plane; a later change of hush:writeRegion
	// changes nothing deployed.
	WriteRegion string
	// RetiringRegions are regions about to leave hush:regions: their
	// replica of the table loses AWS's deletion protection and Pulumi's
	// protect, so that the next `pulumi up` without them can delete it,
	// while every other replica, the table and the user pool keep theirs.
	// Never the home region nor the write region.
	RetiringRegions []string
	// SESEmail, when set, makes the user pool send its messages (sign-up
	// codes, password resets) through the stack's own SES identity instead
	// of Cognito's default sender, whose small daily quota the deploy
	// pipeline's e2e sign-ups would otherwise share with real users.
	SESEmail *SESEmail
}

// SESEmail is a verified SES identity the user pool sends its e-mail from.
type SESEmail struct {
	// IdentityARN is the identity's ARN, arn:aws:ses:<region>:<account>:identity/<e-mail or domain>.
	IdentityARN string `json:"identityArn"`
	// From is the sender, a plain address like no-reply@example.com; it
	// must belong to the identity (AWS checks that, not this program).
	From string `json:"from"`
}

// Throttle is API Gateway's stage throttling: steady requests per second and burst.
type Throttle struct {
	RateLimit  float64 `json:"rateLimit"`
	BurstLimit int     `json:"burstLimit"`
}

// Domain is a custom domain served from a Route 53 hosted zone.
type Domain struct {
	HostedZoneID string `json:"hostedZoneId"`
	Name         string `json:"name"`
}

// HomeRegion returns the region of the table and the user pool, hush:homeRegion.
func (s Stack) HomeRegion() string { return s.Home }

// Retiring reports whether region is one of RetiringRegions.
func (s Stack) Retiring(region string) bool { return slices.Contains(s.RetiringRegions, region) }

// ReplicaRegions returns every region but the home region, where the table
// has replicas, in the order of Regions.
func (s Stack) ReplicaRegions() []string {
	var out []string
	for _, r := range s.Regions {
		if r != s.Home {
			out = append(out, r)
		}
	}
	return out
}

// Regions lists the AWS commercial regions a stack may name. It is fixed
// rather than fetched so that validation needs no AWS account.
var regions = []string{
	"af-south-1",
	"ap-east-1", "ap-east-2",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
	"ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2",
	"eu-north-1",
	"eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1",
	"me-central-1", "me-south-1",
	"mx-central-1",
	"sa-east-1",
	"us-east-1", "us-east-2",
	"us-west-1", "us-west-2",
}

// KnownRegions returns the region names a stack may use, sorted.
func KnownRegions() []string { return slices.Clone(regions) }

// retentions are the only values CloudWatch Logs accepts for retentionInDays.
var retentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Error is a configuration error. It names the full key ("hush:regions") so
// that the message points at the line of the stack file to fix.
type Error struct {
	Key     string
	Message string
}

func (e *Error) Error() string { return e.Key + ": " + e.Message }

// Errors is every configuration error found in one stack, in key order.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return "invalid stack configuration:\n  " + strings.Join(msgs, "\n  ")
}

// Parse reads the configuration of stack from values, Pulumi's config as the
// program sees it: full keys ("hush:regions") to strings, structured values
// JSON-encoded. Keys of other namespaces are ignored, except that aws:region,
// when set, must be the home region. It reports every problem at once, as
// Errors.
func Parse(stack string, values map[string]string) (Stack, error) {
	p := parser{values: values}
	s := Stack{Name: stack}
	if stack == "" {
		p.fail("stack", "the stack name is empty")
	}
	p.unknownKeys()
	s.Regions = p.regions()
	s.Home = p.homeRegion(s.Regions)
	s.LogRetentionDays = p.retention()
	s.PointInTimeRecovery = p.boolean(KeyPointInTimeRecovery)
	s.DeletionProtection = p.boolean(KeyDeletionProtection)
	s.Protect = p.boolean(KeyProtect)
	s.SelfSignUp = p.selfSignUp()
	s.Throttle = p.throttle()
	s.AlarmEmail = p.email()
	s.Domain = p.domain()
	s.FailoverDrill = p.failoverDrill(s.Regions, s.Domain)
	s.APIGatewayAccount = p.apiGatewayAccount(s.Regions)
	s.WriteRegion = p.writeRegion(s.Regions, s.Home)
	s.SESEmail = p.sesEmail(s.Home)
	s.RetiringRegions = p.retiringRegions(s.Regions, s.Home, s.WriteRegion)
	if home := s.HomeRegion(); home != "" {
		if got, ok := values["aws:region"]; ok && got != home {
			p.fail("aws:region", fmt.Sprintf("is %q but the home region (%s) is %q; set them alike or drop aws:region", got, full(KeyHomeRegion), home))
		}
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Key < p.errs[j].Key })
		return Stack{}, p.errs
	}
	return s, nil
}

func full(key string) string { return Namespace + ":" + key }

type parser struct {
	values map[string]string
	errs   Errors
}

func (p *parser) fail(key, msg string) {
	p.errs = append(p.errs, &Error{Key: key, Message: msg})
}

// lookup returns the value of a hush key; a missing key is an error, since
// every stack states each setting rather than inheriting a silent default.
func (p *parser) lookup(key string) (string, bool) {
	v, ok := p.values[full(key)]
	if !ok {
		p.fail(full(key), "required but not set (pulumi config set "+full(key)+" ...)")
	}
	return v, ok
}

func (p *parser) unknownKeys() {
	prefix := Namespace + ":"
	for k := range p.values {
		name, ok := strings.CutPrefix(k, prefix)
		if !ok || slices.Contains(knownKeys, name) {
			continue
		}
		msg := "unknown key"
		if near := nearest(name, knownKeys); near != "" {
			msg += "; did you mean " + full(near) + "?"
		} else {
			msg += "; valid keys are " + strings.Join(prefixed(knownKeys), ", ")
		}
		p.fail(k, msg)
	}
}

func prefixed(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = full(k)
	}
	return out
}

func (p *parser) regions() []string {
	key := full(KeyRegions)
	raw, ok := p.lookup(KeyRegions)
	if !ok {
		return nil
	}
	var list []string
	if err := strictJSON(raw, &list); err != nil {
		p.fail(key, fmt.Sprintf("must be a list of region names, e.g. [eu-central-1, eu-west-1]: %v", err))
		return nil
	}
	if len(list) == 0 {
		p.fail(key, "is empty; list at least one region, "+full(KeyHomeRegion)+" among them")
		return nil
	}
	seen := map[string]bool{}
	valid := true
	for _, r := range list {
		switch {
		case seen[r]:
			p.fail(key, fmt.Sprintf("region %q is listed twice; each region may appear once", r))
			valid = false
		case !slices.Contains(regions, r):
			msg := fmt.Sprintf("unknown region %q", r)
			if near := nearest(r, regions); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			p.fail(key, msg+"; valid regions are "+strings.Join(regions, ", "))
			valid = false
		}
		seen[r] = true
	}
	if !valid {
		return nil
	}
	return list
}

func (p *parser) retention() int {
	raw, ok := p.lookup(KeyLogRetentionDays)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || !slices.Contains(retentions, n) {
		vals := make([]string, len(retentions))
		for i, r := range retentions {
			vals[i] = strconv.Itoa(r)
		}
		p.fail(full(KeyLogRetentionDays), fmt.Sprintf("%q is not a retention CloudWatch Logs accepts; valid values (days) are %s", raw, strings.Join(vals, ", ")))
		return 0
	}
	return n
}

func (p *parser) boolean(key string) bool {
	raw, ok := p.lookup(key)
	if !ok {
		return false
	}
	switch strings.TrimSpace(raw) {
	case "true":
		return true
	case "false":
		return false
	}
	p.fail(full(key), fmt.Sprintf("%q is not a boolean; use true or false", raw))
	return false
}

// selfSignUp reads hush:selfSignUp, the one optional boolean: a stack file
// written before it existed gets sign-up closed, the safe side, rather
// than an error.
func (p *parser) selfSignUp() bool {
	if _, ok := p.values[full(KeySelfSignUp)]; !ok {
		return false
	}
	return p.boolean(KeySelfSignUp)
}

func (p *parser) throttle() Throttle {
	key := full(KeyThrottle)
	raw, ok := p.lookup(KeyThrottle)
	if !ok {
		return Throttle{}
	}
	var t struct {
		RateLimit  *float64 `json:"rateLimit"`
		BurstLimit *int     `json:"burstLimit"`
	}
	if err := strictJSON(raw, &t); err != nil {
		p.fail(key, fmt.Sprintf("must be an object {rateLimit: <requests per second>, burstLimit: <requests>}: %v", err))
		return Throttle{}
	}
	var out Throttle
	if t.RateLimit == nil || *t.RateLimit <= 0 {
		p.fail(key+".rateLimit", "must be set and greater than 0 (requests per second)")
	} else {
		out.RateLimit = *t.RateLimit
	}
	if t.BurstLimit == nil || *t.BurstLimit <= 0 {
		p.fail(key+".burstLimit", "must be set and greater than 0 (requests)")
	} else {
		out.BurstLimit = *t.BurstLimit
	}
	return out
}

func (p *parser) email() string {
	raw, ok := p.lookup(KeyAlarmEmail)
	if !ok {
		return ""
	}
	addr, err := mail.ParseAddress(raw)
	if err != nil || addr.Address != raw || addr.Name != "" {
		p.fail(full(KeyAlarmEmail), fmt.Sprintf("%q is not a plain e-mail address like ops@example.com", raw))
		return ""
	}
	return raw
}

// sesIdentityPattern is the ARN of an SES identity: an e-mail address or a
// domain, in a commercial region, of a 12-digit account.
var sesIdentityPattern = regexp.MustCompile(`^arn:aws:ses:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:identity/[^\s/]+$`)

// sesLegacyRegions are the SES regions a user pool may use besides its own,
// from the Cognito developer guide, "Email settings for Amazon Cognito user
// pools", section "Amazon SES email configuration Regions": a pool can
// always send through SES in its own region, and a pool in one of these
// older Cognito regions also through the one alternate region (us-east-1,
// us-west-2 or eu-west-1) the guide's table pairs it with. Cognito refuses
// any other identity when the pool is created or updated, so checking here
// stops `pulumi up` before it changes anything.
var sesLegacyRegions = map[string]string{
	"us-east-2":      "us-east-1",
	"ca-central-1":   "us-east-1",
	"ap-south-1":     "us-west-2",
	"ap-northeast-1": "us-west-2",
	"ap-northeast-2": "us-west-2",
	"ap-southeast-1": "us-west-2",
	"ap-southeast-2": "us-west-2",
	"eu-central-1":   "eu-west-1",
	"eu-west-2":      "eu-west-1",
}

// SESRegions returns the regions whose SES identities a user pool in home
// may send from: its own, and the legacy alternate where there is one.
func SESRegions(home string) []string {
	if alt, ok := sesLegacyRegions[home]; ok {
		return []string{home, alt}
	}
	return []string{home}
}

func (p *parser) sesEmail(home string) *SESEmail {
	key := full(KeySESEmail)
	raw, ok := p.values[key]
	if !ok {
		return nil
	}
	var e SESEmail
	if err := strictJSON(raw, &e); err != nil {
		p.fail(key, fmt.Sprintf("must be an object {identityArn: <SES identity ARN>, from: <sender address>}: %v", err))
		return nil
	}
	valid := true
	if !sesIdentityPattern.MatchString(e.IdentityARN) {
		p.fail(key+".identityArn", fmt.Sprintf("%q is not an SES identity ARN like arn:aws:ses:eu-west-1:123456789012:identity/example.com", e.IdentityARN))
		valid = false
	}
	if addr, err := mail.ParseAddress(e.From); err != nil || addr.Address != e.From {
		p.fail(key+".from", fmt.Sprintf("%q is not a plain e-mail address like no-reply@example.com", e.From))
		valid = false
	}
	if valid && home != "" {
		region := strings.Split(e.IdentityARN, ":")[3]
		if allowed := SESRegions(home); !slices.Contains(allowed, region) {
			p.fail(key+".identityArn", fmt.Sprintf("the identity is in %s, but a user pool in %s (%s) can send only through SES in %s (Cognito developer guide, \"Amazon SES email configuration Regions\"); verify the identity there",
				region, home, full(KeyHomeRegion), strings.Join(allowed, " or ")))
			valid = false
		}
	}
	if !valid {
		return nil
	}
	return &e
}

func (p *parser) domain() *Domain {
	key := full(KeyDomain)
	raw, ok := p.values[key]
	if !ok {
		return nil
	}
	var d Domain
	if err := strictJSON(raw, &d); err != nil {
		p.fail(key, fmt.Sprintf("must be an object {hostedZoneId: <Route 53 zone ID>, name: <domain name>}: %v", err))
		return nil
	}
	valid := true
	if msg := zoneIDProblem(d.HostedZoneID); msg != "" {
		p.fail(key+".hostedZoneId", msg)
		valid = false
	}
	if why := domainNameProblem(d.Name); why != "" {
		p.fail(key+".name", fmt.Sprintf("%q is not a domain name like api.example.com: %s", d.Name, why))
		valid = false
	}
	if !valid {
		return nil
	}
	return &d
}

// zoneIDPattern is what Route 53 hosted zone IDs look like (Z0123456789ABC);
// the console and the CLI also show them as /hostedzone/<ID>, which the
// provider does not accept as a record's zone.
var zoneIDPattern = regexp.MustCompile(`^[A-Z0-9]{1,32}$`)

func zoneIDProblem(id string) string {
	switch {
	case id == "":
		return "must be set to the Route 53 hosted zone ID of the domain"
	case strings.HasPrefix(id, "/hostedzone/"):
		return fmt.Sprintf("%q: give the bare ID %q, without /hostedzone/", id, strings.TrimPrefix(id, "/hostedzone/"))
	case !zoneIDPattern.MatchString(id):
		return fmt.Sprintf("%q is not a Route 53 hosted zone ID (upper-case letters and digits, like Z0123456789ABC)", id)
	}
	return ""
}

// labelPattern is one DNS label as API Gateway and ACM accept it: letters,
// digits and inner hyphens. Upper case is refused rather than folded, since
// the name is also the key of the Route 53 records.
var labelPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// domainNameProblem says why name cannot be the API's custom domain, or "".
func domainNameProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case len(name) > 253:
		return "it is longer than 253 characters"
	case strings.HasSuffix(name, "."):
		return "drop the trailing dot"
	case strings.HasPrefix(name, "*"):
		return "a wildcard cannot be a latency record's name; name the API's host"
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "it needs at least two labels"
	}
	for _, l := range labels {
		if !labelPattern.MatchString(l) {
			return fmt.Sprintf("label %q must be 1-63 lower-case letters, digits or inner hyphens", l)
		}
	}
	return ""
}

// homeRegion returns hush:homeRegion, which must be one of the stack's
// regions. It is required: a stack that left it to the order of
// hush:regions would move its table and user pool (replacing both) the day
// someone sorted the list.
func (p *parser) homeRegion(stackRegions []string) string {
	key := full(KeyHomeRegion)
	raw, ok := p.values[key]
	if !ok {
		msg := "required but not set: the region of the table and the user pool (pulumi config set " + key + " <region>)"
		if len(stackRegions) > 0 {
			msg += fmt.Sprintf("; a stack deployed before this key existed has them in the first of %s, %s", full(KeyRegions), stackRegions[0])
		}
		p.fail(key, msg)
		return ""
	}
	r := strings.TrimSpace(raw)
	if stackRegions == nil {
		return "" // the regions are already reported
	}
	if !slices.Contains(stackRegions, r) {
		msg := fmt.Sprintf("%q is not one of the stack's regions %s", raw, strings.Join(stackRegions, ", "))
		if near := nearest(r, stackRegions); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		p.fail(key, msg+"; the home region holds the table and the user pool, so it must be listed in "+full(KeyRegions))
		return ""
	}
	return r
}

// writeRegion returns hush:writeRegion, or the home region when it is unset:
// the write region a new stack is seeded with (see Stack.WriteRegion).
// It is optional, unlike most keys, because the home region is the right
// answer for nearly every stack: writes then depend on no region that
// sign-in does not depend on already.
func (p *parser) writeRegion(stackRegions []string, home string) string {
	key := full(KeyWriteRegion)
	raw, ok := p.values[key]
	if !ok {
		return home
	}
	r := strings.TrimSpace(raw)
	if stackRegions == nil {
		return "" // the regions are already reported
	}
	if !slices.Contains(stackRegions, r) {
		msg := fmt.Sprintf("%q is not one of the stack's regions %s", raw, strings.Join(stackRegions, ", "))
		if near := nearest(r, stackRegions); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		p.fail(key, msg+"; leave it unset to write in the home region")
		return ""
	}
	return r
}

// retiringRegions returns hush:retiringRegions, in the order of the
// stack's regions. A region is retired in two runs (see the docs'
// runbook "Removing a region"): one with it listed here, which lifts the
// protection of its replica only, then one without it in hush:regions.
func (p *parser) retiringRegions(stackRegions []string, home, write string) []string {
	key := full(KeyRetiringRegions)
	raw, ok := p.values[key]
	if !ok {
		return nil
	}
	var list []string
	if err := strictJSON(raw, &list); err != nil {
		p.fail(key, fmt.Sprintf("must be a list of the stack's regions, e.g. [us-east-1]: %v", err))
		return nil
	}
	if stackRegions == nil {
		return nil // the regions are already reported
	}
	valid := true
	for _, r := range list {
		switch {
		case !slices.Contains(stackRegions, r):
			p.fail(key, fmt.Sprintf("region %q is not one of the stack's regions %s; once a region has left %s, drop it here too", r, strings.Join(stackRegions, ", "), full(KeyRegions)))
			valid = false
		case r == home:
			p.fail(key, fmt.Sprintf("%q is the home region, which holds the table and the user pool; it cannot be retired (changing %s replaces both)", r, full(KeyHomeRegion)))
			valid = false
		case r == write:
			p.fail(key, fmt.Sprintf("%q is the write region; move the write region first (runbook \"Move the write region\")", r))
			valid = false
		}
	}
	if !valid {
		return nil
	}
	var out []string
	for _, r := range stackRegions {
		if slices.Contains(list, r) {
			out = append(out, r)
		}
	}
	return out
}

func (p *parser) failoverDrill(stackRegions []string, domain *Domain) []string {
	key := full(KeyFailoverDrill)
	raw, ok := p.values[key]
	if !ok {
		return nil
	}
	var list []string
	if err := strictJSON(raw, &list); err != nil {
		p.fail(key, fmt.Sprintf("must be a list of the stack's regions, e.g. [eu-west-1]: %v", err))
		return nil
	}
	if len(list) == 0 {
		return nil
	}
	if _, hasDomain := p.values[full(KeyDomain)]; !hasDomain {
		p.fail(key, "needs "+full(KeyDomain)+": a drill inverts the Route 53 health checks, which only a stack with a domain has")
		return nil
	}
	if domain == nil || stackRegions == nil {
		return nil // the domain or the regions are already reported
	}
	seen := map[string]bool{}
	for _, r := range list {
		if !slices.Contains(stackRegions, r) {
			p.fail(key, fmt.Sprintf("region %q is not one of the stack's regions %s", r, strings.Join(stackRegions, ", ")))
			return nil
		}
		seen[r] = true
	}
	// Route 53 answers with every record of a latency group when none is
	// healthy, so drilling them all would test nothing.
	if len(seen) == len(stackRegions) {
		p.fail(key, "names every region; Route 53 treats a group with no healthy record as all healthy, so leave at least one region out")
		return nil
	}
	var out []string
	for _, r := range stackRegions {
		if seen[r] {
			out = append(out, r)
		}
	}
	return out
}

// strictJSON decodes raw into v, refusing fields v does not have, so a typo
// inside a structured value is caught like a typo in a key.
func strictJSON(raw string, v any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the value")
	}
	return nil
}

// nearest returns the candidate closest to s by edit distance, or "" when
// none is close enough to be a plausible typo.
func nearest(s string, candidates []string) string {
	best, bestDist := "", 4
	for _, c := range candidates {
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
