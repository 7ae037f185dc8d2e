package dkgsvc

// Metrics observes the service (SPEC §14). cmd/aura-p2p binds it to
// Prometheus as aura_dkg_*; the default is NopMetrics. Methods are called
// from any goroutine and must not block.
type Metrics interface {
	// Misbehaviour counts a reset stream by kind
	// (aura_dkg_misbehaviour_total{kind}).
	Misbehaviour(kind string)
	// SendFailed counts a guarded send that did not leave
	// (aura_dkg_send_failures_total).
	SendFailed()
	// StartAccepted counts an authorised DKGStart.
	StartAccepted()
	// StartRefused counts a verified DKGStart that Authorise refused.
	StartRefused()
	// Outcome counts a finished Run: "ok", "timeout", "inconsistent",
	// "cancelled" or "error" (aura_dkg_runs_total{result}).
	Outcome(result string)
}

// NopMetrics discards everything.
type NopMetrics struct{}

func (NopMetrics) Misbehaviour(string) {}
func (NopMetrics) SendFailed()         {}
func (NopMetrics) StartAccepted()      {}
func (NopMetrics) StartRefused()       {}
func (NopMetrics) Outcome(string)      {}
