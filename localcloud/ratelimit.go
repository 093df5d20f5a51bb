package localcloud

import (
	"time"

	"github.com/hush-scores/hush/localcloud/waf"
)

// DefaultRateLimit is the cloud stack's per-IP rate-based rule
// (components.RateLimitPerIP in components.RateLimitWindowSeconds, acting
// after components.RateLimitBlockDelaySeconds), which hush-local applies
// to every region's gateway unless throttling is off.
var DefaultRateLimit = waf.Limits{PerIP: 6000, Window: 300 * time.Second, Delay: 60 * time.Second}

// newRateRule returns a region's per-IP rule with the stack's limits.
// Every region has its own, as each stage has its own web ACL.
func (s *Stack) newRateRule(l *waf.Limits) *waf.Rule {
	s.throttleMu.Lock()
	defer s.throttleMu.Unlock()
	var limits waf.Limits
	if l != nil {
		limits = *l
	}
	r := waf.New(limits)
	s.rateRules = append(s.rateRules, r)
	return r
}

// SetRateLimit changes every region's per-IP rule, as a change of the web
// ACL would; counts start again. The zero Limits turns the rules off.
func (s *Stack) SetRateLimit(l waf.Limits) {
	s.throttleMu.Lock()
	defer s.throttleMu.Unlock()
	for _, r := range s.rateRules {
		r.SetLimits(l)
	}
}

// RateLimit returns the per-IP limits the gateways enforce now.
func (s *Stack) RateLimit() waf.Limits {
	s.throttleMu.Lock()
	defer s.throttleMu.Unlock()
	if len(s.rateRules) == 0 {
		return waf.Limits{}
	}
	return s.rateRules[0].Limits()
}
