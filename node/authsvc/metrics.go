package authsvc

// Metrics observes the authority service's own work (the tree, DKG and
// invite services report through theirs). Implementations must be safe
// for concurrent use; cmd/aura-p2p may bind them to Prometheus as
// aura_authority_*.
type Metrics interface {
	// Hints counts hint exchanges by result: "sent", "send_failed",
	// "accepted", "refused", "undecodable".
	Hints(result string)
	// DevicePeerWritten counts DevicePeer facts written by this device.
	DevicePeerWritten()
}

// NopMetrics discards everything.
type NopMetrics struct{}

func (NopMetrics) Hints(string)       {}
func (NopMetrics) DevicePeerWritten() {}
