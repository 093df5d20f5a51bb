package stackconfig

// ResourceName is the name of a stack's table, REST API, user pool and
// dashboard: hush-<stack>, the same in every region and in the local cloud.
func ResourceName(stack string) string { return "hush-" + stack }

// Off reports whether t throttles nothing: the zero Throttle (or either
// limit at zero) lets every request through.
func (t Throttle) Off() bool { return t.RateLimit <= 0 || t.BurstLimit <= 0 }
