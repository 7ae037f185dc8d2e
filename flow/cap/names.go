package cap

// Capability names (SPEC §6.1; upstream names plus consensus:dkg).
const (
	ConsensusInitiate        = "consensus:initiate"
	ConsensusWitnessNonce    = "consensus:witness_nonce"
	ConsensusAggregateNonces = "consensus:aggregate_nonces"
	ConsensusWitnessSign     = "consensus:witness_sign"
	ConsensusFinalize        = "consensus:finalize"
	ConsensusDKG             = "consensus:dkg"
	RendezvousPublish        = "rendezvous:publish"
	RendezvousConnect        = "rendezvous:connect"
	RendezvousRelay          = "rendezvous:relay"
	RelayForward             = "relay:forward"
	SyncRequestDigest        = "sync:request_digest"
	SyncRequestOps           = "sync:request_ops"
	SyncPushOps              = "sync:push_ops"
	SyncAnnounceOp           = "sync:announce_op"
)

// AllNames is every capability name, sorted: the default Genesis
// DefaultCaps (SPEC §6.1). It returns a fresh slice.
func AllNames() []string {
	return []string{
		ConsensusAggregateNonces,
		ConsensusDKG,
		ConsensusFinalize,
		ConsensusInitiate,
		ConsensusWitnessNonce,
		ConsensusWitnessSign,
		RelayForward,
		RendezvousConnect,
		RendezvousPublish,
		RendezvousRelay,
		SyncAnnounceOp,
		SyncPushOps,
		SyncRequestDigest,
		SyncRequestOps,
	}
}
