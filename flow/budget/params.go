package budget

// Protocol constants (SPEC §6.2, §10). They are part of the contract, not
// Config: every device and receiver must agree on them.
const (
	// MaxFrameCost is the largest cost of any frame (the largest fixed
	// cost; size-priced frames are capped at MaxSizePricedBytes).
	MaxFrameCost = 100
	// MaxDevices is the most Device leaves an authority has, hence the most
	// slots a split budget is divided into.
	MaxDevices = 64
	// MinLimit = MaxDevices·MaxFrameCost: with ≤ MaxDevices slots every
	// share is ≥ MaxFrameCost, so every frame fits every share (L5).
	MinLimit = MaxDevices * MaxFrameCost
	// MaxSizePricedBytes caps a size-priced frame (65 KiB), so its cost
	// 1+⌈bytes/1024⌉ ≤ 66 ≤ MaxFrameCost.
	MaxSizePricedBytes = 65 << 10
	// DeviceEpochMs is the fixed flow-epoch length of per-device budgets
	// (authority scope, topics), scheduled from Unix time 0 (SPEC §6.5).
	DeviceEpochMs = 300_000
	// CreditSymbolBytes is the per-symbol price basis of a sync credit grant.
	CreditSymbolBytes = 42
)

// Defaults (SPEC §10). Context limits come from the context Genesis; the
// per-device ones are Config defaults owned by the executor.
const (
	DefaultFlowEpochMs     = 300_000 // Genesis FlowEpochMs
	DefaultContextLimit    = 10_000  // Genesis DefaultLimit
	AuthorityLocalLimit    = 100_000 // per device, authority scope
	RendezvousPublishLimit = 100     // per device, rendezvous topic publish
	RendezvousForwardLimit = 1000    // per device, rendezvous topic forward
	FallbackPublishLimit   = 5000    // per device, fallback topic publish
	FallbackForwardLimit   = 50_000  // per device, fallback topic forward
)

// ValidLimit reports whether l may be a DefaultLimit, FlowLimit or local
// MaxLimit: l ≥ MinLimit, else ErrLimitTooLow.
func ValidLimit(l uint64) error {
	if l < MinLimit {
		return ErrLimitTooLow
	}
	return nil
}

// CapLimit applies a local MaxLimit (0: none) to a granted limit:
// min(granted, maxLimit). Both must be valid limits (maxLimit may be 0).
func CapLimit(granted, maxLimit uint64) (uint64, error) {
	if err := ValidLimit(granted); err != nil {
		return 0, err
	}
	if maxLimit == 0 {
		return granted, nil
	}
	if err := ValidLimit(maxLimit); err != nil {
		return 0, err
	}
	return min(granted, maxLimit), nil
}
