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
func (g *gateways) newRateRule() *waf.Rule {
	g.mu.Lock()
	defer g.mu.Unlock()
	var limits waf.Limits
	if g.rateLimit != nil {
		limits = *g.rateLimit
	}
	r := waf.New(limits)
	g.rateRules = append(g.rateRules, r)
	return r
}

// SetRateLimit changes every region's per-IP rule, as a change of the web
// ACL would; counts start again. The zero Limits turns the rules off.
func (s *Stack) SetRateLimit(l waf.Limits) {
	s.gateways.mu.Lock()
	defer s.gateways.mu.Unlock()
	for _, r := range s.gateways.rateRules {
		r.SetLimits(l)
	}
}

// RateLimit returns the per-IP limits the gateways enforce now.
func (s *Stack) RateLimit() waf.Limits {
	s.gateways.mu.Lock()
	defer s.gateways.mu.Unlock()
	if len(s.gateways.rateRules) == 0 {
		return waf.Limits{}
	}
	return s.gateways.rateRules[0].Limits()
}
