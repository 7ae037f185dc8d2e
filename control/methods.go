package control

// Method names. node.status is built in (NewService); the authority and
// device methods are served once the authority service registers them
// (until then the daemon answers unknown_method).
const (
	MethodNodeStatus      = "node.status"
	MethodAuthorityCreate = "authority.create"
	MethodAuthorityShow   = "authority.show"
	MethodAuthorityPolicy = "authority.policy"
	MethodDeviceInvite    = "device.invite"
	MethodDeviceJoin      = "device.join"
	MethodDeviceRemove    = "device.remove"
	MethodAuthorityRotate = "authority.rotate"
)

// Identifiers on the wire are lowercase hex: AuthorityId and DeviceId are
// 16 bytes (32 hex digits, SPEC §2).

// AuthorityCreateParams are the params of authority.create: create a
// one-device authority with this device as leaf 0 (SPEC §4.1 Genesis).
type AuthorityCreateParams struct{}

// AuthorityCreateResult is authority.create's result.
type AuthorityCreateResult struct {
	AuthorityID string `json:"authority_id"`
	DeviceID    string `json:"device_id"`
}

// AuthorityShowParams are the params of authority.show. The result is the
// service's view of the authority's tree state (a JSON object).
type AuthorityShowParams struct {
	// AuthorityID selects the authority; "" means the one this device
	// belongs to (bad_request if it belongs to none or several).
	AuthorityID string `json:"authority_id,omitempty"`
}

// AuthorityPolicyParams are the params of authority.policy: a ChangePolicy
// ceremony setting the threshold M (N stays the leaf count, SPEC §4).
type AuthorityPolicyParams struct {
	AuthorityID string `json:"authority_id,omitempty"`
	// Threshold is the new M, 1 ≤ M ≤ N (M ≥ 2 when N ≥ 2).
	Threshold uint16 `json:"threshold"`
}

// DeviceInviteParams are the params of device.invite: mint an out-of-band
// invitation (SPEC §4.1 Invite).
type DeviceInviteParams struct {
	AuthorityID string `json:"authority_id,omitempty"`
	// ExpiryMs is the invitation's lifetime in milliseconds; 0 means the
	// service's default.
	ExpiryMs int64 `json:"expiry_ms,omitempty"`
}

// DeviceInviteResult is device.invite's result.
type DeviceInviteResult struct {
	// Code is the invitation code to hand to the joiner out of band.
	Code string `json:"code"`
	// ExpiresAtMs is the expiry, Unix milliseconds.
	ExpiresAtMs int64 `json:"expires_at_ms"`
}

// DeviceJoinParams are the params of device.join: join the authority of
// an invitation code (JoinRequest, then the AddLeaf ceremony).
type DeviceJoinParams struct {
	Code string `json:"code"`
}

// DeviceJoinResult is device.join's result.
type DeviceJoinResult struct {
	AuthorityID string `json:"authority_id"`
	DeviceID    string `json:"device_id"`
	// Ceremony is the AddLeaf ceremony that admitted this device, as the
	// joiner saw it (omitted by daemons that do not report it).
	Ceremony *CeremonyResult `json:"ceremony,omitempty"`
}

// AuthorityRotateParams are the params of authority.rotate: a RotateEpoch
// ceremony with a fresh DKG (new group key and AuthoritySecret, same
// devices and policy).
type AuthorityRotateParams struct {
	AuthorityID string `json:"authority_id,omitempty"`
}

// CeremonyResult is the result of authority.policy, authority.rotate and
// device.remove (and DeviceJoinResult.Ceremony): what the committed tree
// op did and how long its parts took.
type CeremonyResult struct {
	AuthorityID string `json:"authority_id"`
	// Epoch and KeyEpoch are the tree and key epochs after the op.
	Epoch    uint64 `json:"epoch"`
	KeyEpoch uint64 `json:"key_epoch"`
	// Root is the tree root after the op (hex).
	Root string `json:"root"`
	// CID is the consensus instance id (hex; zero for the single path).
	CID string `json:"cid"`
	// Path is how the op committed: "single" (one device signs, M = 1),
	// "fast1", "fast2" or "fallback" (SPEC §5).
	Path string `json:"path"`
	// DKGMs, ConsensusMs and TotalMs are the DKG, consensus and
	// end-to-end latencies in milliseconds.
	DKGMs       float64 `json:"dkg_ms"`
	ConsensusMs float64 `json:"consensus_ms"`
	TotalMs     float64 `json:"total_ms"`
}

// DeviceRemoveParams are the params of device.remove: a RemoveLeaf
// ceremony among the remaining devices.
type DeviceRemoveParams struct {
	AuthorityID string `json:"authority_id,omitempty"`
	DeviceID    string `json:"device_id"`
}
