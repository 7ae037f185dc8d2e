package treesvc

import (
	"encoding/hex"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// Change is a requested tree update (SPEC §4).
type Change struct {
	// Kind is tree.AddLeaf, tree.RemoveLeaf, tree.ChangePolicy or
	// tree.RotateEpoch.
	Kind uint8
	// Add is the joiner of an AddLeaf.
	Add *Candidate
	// Remove is the set of devices a RemoveLeaf removes.
	Remove []journal.DeviceID
	// Threshold is the new M (ChangePolicy). For AddLeaf and RemoveLeaf, 0
	// keeps M where valid: N = 1 forces {1,1}, M = 1 with N ≥ 2 forces
	// M = 2, M > N clamps to N.
	Threshold uint16
	// NewKey makes a RotateEpoch carry a fresh DKG key (and secret).
	NewKey bool
	// Reason is TreeOp.Reason (application-defined; 0 by default).
	Reason uint8
}

// Report is what a committed change (or a Join) did.
type Report struct {
	Authority journal.AuthorityID
	Epoch     uint64
	KeyEpoch  uint64
	Root      [32]byte
	CID       [32]byte
	// Path is "single" (ed25519, current M = 1), "fast1", "fast2" or
	// "fallback".
	Path string
	// DKG is the DKG time (zero without a new key), Consensus the time to
	// a stored Commit, Total the whole Propose (re-proposals, offline
	// retries and Config.Settle included).
	DKG, Consensus, Total time.Duration
	// Sealed is, for AddLeaf, the joiner's SealedSecrets entry
	// (AuthoritySecret_{k+1} sealed to its DHKey): the inviter's reply.
	Sealed []byte
}

// Ticket is what a joiner knows from its Invite (SPEC §4.1 step 2).
type Ticket struct {
	Authority  journal.AuthorityID
	InviterKey [32]byte // InviterDeviceKey
	Inviter    peer.ID
	// Addrs (the inviter's binary multiaddrs) and ExpiryMs (the
	// invitation's expiry, Unix ms, 0 ⇒ none) are kept in the pending-join
	// record (pending.go) for a restarted node; Join does not use them.
	Addrs    [][]byte
	ExpiryMs int64
	// Code is what the node needs to send the JoinRequest again (node/
	// authsvc stores the invitation code, Secret included); it is kept in
	// the pending-join record so a Start can re-send a request whose reply
	// was lost (pending.go, SetResumeRequest). Empty ⇒ a join cut before
	// the reply cannot resume, and Join cannot re-send a lost reply.
	Code string
}

// View is the JSON-friendly reduced state of an authority (hex strings).
type View struct {
	Authority string       `json:"authority_id"`
	Epoch     uint64       `json:"epoch"`
	KeyEpoch  uint64       `json:"key_epoch"`
	Root      string       `json:"root"`
	Policy    ViewPolicy   `json:"policy"`
	GroupKey  string       `json:"group_key"`
	Devices   []ViewDevice `json:"devices"`
}

// ViewPolicy is Policy{M, N}.
type ViewPolicy struct {
	M uint16 `json:"m"`
	N uint16 `json:"n"`
}

// ViewDevice is one leaf.
type ViewDevice struct {
	DeviceID string `json:"device_id"`
	Leaf     uint32 `json:"leaf"`
	FrostID  uint16 `json:"frost_id"`
	Self     bool   `json:"self"`
}

func viewOf(aid journal.AuthorityID, s *tree.TreeState, self journal.DeviceID) View {
	v := View{Authority: aid.String(), Epoch: s.Epoch, KeyEpoch: s.KeyEpoch, Root: hex.EncodeToString(s.Root[:]),
		Policy: ViewPolicy{M: s.Policy.M, N: s.Policy.N}, GroupKey: hex.EncodeToString(s.GroupKey[:])}
	for _, l := range s.Leaves {
		v.Devices = append(v.Devices, ViewDevice{DeviceID: l.Device.String(), Leaf: uint32(l.ID),
			FrostID: l.FrostID, Self: l.Device == self})
	}
	return v
}

func pathName(p uint8) string {
	switch p {
	case 1:
		return "fast1"
	case 2:
		return "fast2"
	case 3:
		return "fallback"
	}
	return "unknown"
}
