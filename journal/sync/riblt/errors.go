package riblt

import "errors"

// Sentinels. Every bad_symbols condition of SPEC §9 wraps ErrBadSymbols,
// so errors.Is(err, ErrBadSymbols) selects the session outcome and the
// misbehaviour kind, and the specific sentinel says which check failed.
var (
	// ErrBadSymbols is the parent of every bad_symbols condition: the peer
	// sent coded symbols an honest responder cannot produce. The session
	// aborts and the stream is reset.
	ErrBadSymbols = errors.New("riblt: bad symbols")
	// ErrForeignID: a pure symbol claims an initiator-only element that is
	// not in the initiator's set.
	ErrForeignID = wrap("initiator-only element not in local set")
	// ErrCountRange: a received Count is outside [0, SetSize].
	ErrCountRange = wrap("count outside [0, set size]")
	// ErrIndexGap: symbols did not continue at the next expected index.
	ErrIndexGap = wrap("gap in symbol indices")
	// ErrBeyondCredit: more symbols than the granted credit.
	ErrBeyondCredit = wrap("symbols beyond credit")
	// ErrDuplicate: a pure symbol names an element that was already
	// recovered (impossible for an honest peer, up to 2⁻⁶⁴).
	ErrDuplicate = wrap("element recovered twice")

	// ErrMalformed reports undecodable symbol bytes (wire decoding).
	ErrMalformed = errors.New("riblt: malformed symbol encoding")
)

type childError struct{ msg string }

func (e *childError) Error() string { return "riblt: bad symbols: " + e.msg }
func (e *childError) Unwrap() error { return ErrBadSymbols }

func wrap(msg string) error { return &childError{msg: msg} }
