package receipt

// Outcome is the receive-side verdict on one receipt (SPEC §6.6, §14
// aura_flow_receipts_verified_total{outcome}).
type Outcome uint8

// Outcomes. Every value but Accepted rejects the frame: the receiver
// resets the stream and sends nothing.
const (
	Accepted   Outcome = iota
	BadSig             // signature fails under Src's member key in Ctx
	BadChain           // Prev link, PayloadHash or Cost mismatch
	StaleEpoch         // epoch outside current / grace / skew window
	Replay             // nonce already accepted for (ctx, src, epoch)
	OverLimit          // accepted cost would exceed the Limit granted
	ForeignCtx         // Ctx is not the context the frame resolved to
	WrongDst           // Dst is not this authority
	outcomeEnd
)

var outcomeLabel = [outcomeEnd]string{
	Accepted:   "accepted",
	BadSig:     "bad_sig",
	BadChain:   "bad_chain",
	StaleEpoch: "stale_epoch",
	Replay:     "replay",
	OverLimit:  "over_limit",
	ForeignCtx: "foreign_ctx",
	WrongDst:   "wrong_dst",
}

// String is the metric label.
func (o Outcome) String() string {
	if o >= outcomeEnd {
		return "unknown"
	}
	return outcomeLabel[o]
}

// Misbehaviour reports whether the outcome counts a point against the
// sending peer (SPEC §6.6: bad_sig, bad_chain).
func (o Outcome) Misbehaviour() bool { return o == BadSig || o == BadChain }

// Err is nil for Accepted, else a *RejectError.
func (o Outcome) Err() error {
	if o == Accepted {
		return nil
	}
	return &RejectError{Outcome: o}
}

// Outcomes lists every outcome in label order (for pre-registering
// metric series).
func Outcomes() []Outcome {
	out := make([]Outcome, 0, outcomeEnd)
	for o := Accepted; o < outcomeEnd; o++ {
		out = append(out, o)
	}
	return out
}
