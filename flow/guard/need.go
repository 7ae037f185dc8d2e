package guard

import (
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
)

// need maps each §6.2 message kind to the capability it needs; "" means
// local policy only (topic forwards). Context envelopes need per body
// type: their callers pass Snapshot.Need themselves.
var need = map[budget.Msg]string{
	budget.MsgExecute:            cap.ConsensusInitiate,
	budget.MsgNonceCommit:        cap.ConsensusWitnessNonce,
	budget.MsgCommitmentAnnounce: cap.ConsensusWitnessNonce,
	budget.MsgSignRequest:        cap.ConsensusAggregateNonces,
	budget.MsgSignShare:          cap.ConsensusWitnessSign,
	budget.MsgStateMismatch:      cap.ConsensusWitnessSign,
	budget.MsgConflict:           cap.ConsensusWitnessSign,
	budget.MsgCommitDirect:       cap.ConsensusFinalize,
	budget.MsgAggregateShare:     cap.ConsensusWitnessSign,
	budget.MsgGetExecute:         cap.ConsensusWitnessSign,
	budget.MsgFallbackPublish:    cap.ConsensusWitnessSign,
	budget.MsgFallbackCommit:     cap.ConsensusFinalize,
	budget.MsgFallbackForward:    "",
	budget.MsgDKG:                cap.ConsensusDKG,
	budget.MsgRendezvousPublish:  cap.RendezvousPublish,
	budget.MsgRendezvousForward:  "",
	budget.MsgConnectDirect:      cap.RendezvousConnect,
	budget.MsgConnectRelayed:     cap.RendezvousConnect,
	budget.MsgRelayHop:           cap.RelayForward,
	budget.MsgSyncRequestDigest:  cap.SyncRequestDigest,
	budget.MsgSyncRequestOps:     cap.SyncRequestOps,
	budget.MsgSyncPushOps:        cap.SyncPushOps,
	budget.MsgSyncAnnounceOp:     cap.SyncAnnounceOp,
}

// Need is the capability a message kind needs (SPEC §6.2 table); ok is
// false for kinds without a fixed need (MsgEnvelope: per body type) and
// for unknown kinds. An empty name with ok means local policy only.
func Need(m budget.Msg) (name string, ok bool) {
	name, ok = need[m]
	return name, ok
}
