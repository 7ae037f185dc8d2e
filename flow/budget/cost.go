package budget

// Msg is a row of the SPEC §6.2 cost table.
type Msg uint8

// Message kinds priced by SPEC §6.2. Fixed-cost kinds ignore the size;
// size-priced kinds cost 1 + ⌈bytes/1024⌉ with bytes ≤ MaxSizePricedBytes.
const (
	MsgInvalid            Msg = iota
	MsgExecute                // 100
	MsgNonceCommit            // 50
	MsgCommitmentAnnounce     // 50
	MsgSignRequest            // 75
	MsgSignShare              // 50
	MsgStateMismatch          // 50
	MsgConflict               // 50
	MsgCommitDirect           // 100
	MsgAggregateShare         // size (direct)
	MsgGetExecute             // size
	MsgFallbackPublish        // size (any fallback-topic publish but a Commit)
	MsgFallbackCommit         // size (a Commit published on the fallback topic)
	MsgFallbackForward        // size
	MsgDKG                    // 50
	MsgRendezvousPublish      // 1
	MsgRendezvousForward      // 1
	MsgConnectDirect          // 2
	MsgConnectRelayed         // 3
	MsgRelayHop               // size
	MsgSyncRequestDigest      // size
	MsgSyncRequestOps         // size
	MsgSyncPushOps            // size
	MsgSyncAnnounceOp         // size
	MsgEnvelope               // size
	msgEnd
)

var fixedCost = [msgEnd]uint32{
	MsgExecute:            100,
	MsgNonceCommit:        50,
	MsgCommitmentAnnounce: 50,
	MsgSignRequest:        75,
	MsgSignShare:          50,
	MsgStateMismatch:      50,
	MsgConflict:           50,
	MsgCommitDirect:       100,
	MsgDKG:                50,
	MsgRendezvousPublish:  1,
	MsgRendezvousForward:  1,
	MsgConnectDirect:      2,
	MsgConnectRelayed:     3,
}

// Valid reports whether m is a row of the table.
func (m Msg) Valid() bool { return m > MsgInvalid && m < msgEnd }

// SizePriced reports whether m costs 1 + ⌈bytes/1024⌉.
func (m Msg) SizePriced() bool { return m.Valid() && fixedCost[m] == 0 }

// Cost is the §6.2 price of one frame of kind m whose encoding without its
// Receipt is bytes long. The result is in [1, MaxFrameCost].
func Cost(m Msg, bytes int) (uint32, error) {
	if !m.Valid() {
		return 0, ErrUnknownMessage
	}
	if c := fixedCost[m]; c != 0 {
		return c, nil
	}
	return SizeCost(bytes)
}

// SizeCost is 1 + ⌈bytes/1024⌉ for 0 ≤ bytes ≤ MaxSizePricedBytes, else
// ErrFrameTooLarge.
func SizeCost(bytes int) (uint32, error) {
	if bytes < 0 || bytes > MaxSizePricedBytes {
		return 0, ErrFrameTooLarge
	}
	return 1 + uint32((bytes+1023)/1024), nil
}

// CreditCost is the price of a sync credit grant of g symbols:
// 1 + ⌈42·g/1024⌉, refused with ErrCostTooHigh above MaxFrameCost.
func CreditCost(g uint32) (uint32, error) {
	units := (uint64(g)*CreditSymbolBytes + 1023) / 1024
	if 1+units > MaxFrameCost {
		return 0, ErrCostTooHigh
	}
	return 1 + uint32(units), nil
}
