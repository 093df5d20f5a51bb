package iampolicy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Decision is the outcome of evaluating a request against a policy.
type Decision int

// The decisions, as IAM's policy evaluation logic names them.
const (
	// ImplicitDeny: no statement allows the request.
	ImplicitDeny Decision = iota
	// Allowed: a statement allows it and none denies it.
	Allowed
	// ExplicitDeny: a Deny statement matches; it wins over every Allow.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicit deny"
	}
	return "implicit deny"
}

// Parse reads a policy document as IAM accepts it (Action and Resource may
// be a string or a list) and refuses what Evaluate does not model:
// NotAction, NotResource, NotPrincipal and Condition, and any effect but
// Allow and Deny. Refusing is safer than evaluating such a statement as if
// the unmodelled part were absent.
func Parse(doc string) (Document, error) {
	var raw struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return Document{}, fmt.Errorf("iampolicy: parse policy: %w", err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw.Statement, &list); err != nil {
		// A single statement may stand without a list.
		list = []json.RawMessage{raw.Statement}
	}
	out := Document{Version: raw.Version}
	for i, b := range list {
		var st struct {
			Sid                                  string
			Effect                               string
			Action, Resource                     stringOrList
			NotAction, NotResource, NotPrincipal json.RawMessage
			Condition                            json.RawMessage
		}
		if err := json.Unmarshal(b, &st); err != nil {
			return Document{}, fmt.Errorf("iampolicy: parse statement %d: %w", i, err)
		}
		switch {
		case st.NotAction != nil, st.NotResource != nil, st.NotPrincipal != nil:
			return Document{}, fmt.Errorf("iampolicy: statement %d (%q): NotAction, NotResource and NotPrincipal are not modelled", i, st.Sid)
		case st.Condition != nil:
			return Document{}, fmt.Errorf("iampolicy: statement %d (%q): conditions are not modelled", i, st.Sid)
		case st.Effect != Allow && st.Effect != Deny:
			return Document{}, fmt.Errorf("iampolicy: statement %d (%q): effect %q is neither Allow nor Deny", i, st.Sid, st.Effect)
		}
		out.Statement = append(out.Statement, Statement{Sid: st.Sid, Effect: st.Effect, Action: st.Action, Resource: st.Resource})
	}
	return out, nil
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Evaluate decides whether the identity policies docs allow action on
// resource, by IAM's logic for one account and identity-based policies: an
// explicit Deny in any statement wins, otherwise an Allow allows, otherwise
// the request is implicitly denied. An action matches case-insensitively, a
// resource ARN case-sensitively; in both, "*" matches any run of characters
// (":" and "/" included) and "?" any one character. Statements with a
// Condition are refused by Parse; a Document built in code must not carry
// one either, so such a statement never matches (a Deny with a condition is
// reported as matching, to fail safe).
func Evaluate(action, resource string, docs ...Document) Decision {
	allowed := false
	for _, d := range docs {
		for _, st := range d.Statement {
			if st.Condition != nil && st.Effect == Allow {
				continue
			}
			if !matchAny(st.Action, action, true) || !matchAny(st.Resource, resource, false) {
				continue
			}
			if st.Effect == Deny {
				return ExplicitDeny
			}
			if st.Effect == Allow {
				allowed = true
			}
		}
	}
	if allowed {
		return Allowed
	}
	return ImplicitDeny
}

func matchAny(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			if Match(strings.ToLower(p), strings.ToLower(s)) {
				return true
			}
		} else if Match(p, s) {
			return true
		}
	}
	return false
}

// Match reports whether s matches the IAM pattern p, where "*" matches any
// run of characters and "?" any single character. It is iterative, with
// backtracking to the last "*" only, so it takes time linear in
// len(p)*len(s) at worst.
func Match(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
