package sync

import (
	"crypto/ed25519"

	"github.com/aura-p2p/aura-p2p/journal"
)

// Members resolves a box's Author against the session namespace's
// current reduced state (SPEC §9 step 2: a removed member is refused even
// if it still holds an old key epoch). Implemented by the journal later.
type Members interface {
	// MemberKey returns the Ed25519 key that signs for author — its
	// member key (context) or DeviceKey (authority) — and whether author
	// is a current member.
	MemberKey(author [16]byte) (ed25519.PublicKey, bool)
}

// Signer signs for the local member.
type Signer interface {
	// Author is the local AuthorityId (context) or DeviceId (authority).
	Author() [16]byte
	// Sign returns the 64-byte Ed25519 signature of msg.
	Sign(msg []byte) ([]byte, error)
}

// Entries reads stored entries from the session's snapshot.
type Entries interface {
	// Entry returns the canonical fact stored under id, if held.
	Entry(id journal.EntryID) ([]byte, bool)
}

// Guard connects a session to the flow layer (SPEC §6, §9 "Guards") for
// the two frames whose receipts ride inside the sealed boxes. It is
// called synchronously from Start/Step. A nil Guard issues no receipts
// and admits every token (authority namespaces: no token, no receipt).
type Guard interface {
	// Receipt charges the box's send and returns its receipt, whose
	// PayloadHash is payloadHash.
	Receipt(payloadHash [32]byte) ([]byte, error)
	// Admit checks a received box: the token (Hello only; zero Token for
	// HelloAck) grants the mode's capability and the receipt passes
	// SPEC §6.6 for payloadHash.
	Admit(author [16]byte, mode Mode, token Token, receipt []byte, payloadHash [32]byte) error
}

// Served is one namespace a responder can serve, as of the Hello that
// resolved to it.
type Served struct {
	// S is the sync secret of the key epoch whose Ref matched.
	S Secret
	// Set is E(ns), snapshotted now (SPEC §9 "Set").
	Set []journal.EntryID
	// Members checks Author against the namespace's current state.
	Members Members
	// Entries reads the snapshot's entries for Want.
	Entries Entries
	// Signer signs Box_R.
	Signer Signer
	// Guard may be nil (see Guard).
	Guard Guard
}

// Resolver finds the namespace a Hello addresses. MatchRef implements the
// key-epoch search; the driver snapshots the namespace on a match.
type Resolver interface {
	// Resolve returns the namespace and key epoch under which ref is this
	// Hello's Ref, or false (unknown namespace and non-member look alike).
	Resolve(nonceI, ref [16]byte, pI, pR []byte) (Served, bool)
}
