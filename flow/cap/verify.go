package cap

import (
	"crypto/ed25519"
	"slices"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Policy is the local capability policy (SPEC §6.1): Config-level, global
// with per-context overrides chosen by the caller. It only narrows. The
// zero Policy denies nothing and caps nothing.
type Policy struct {
	// DenyCaps are removed from every frontier.
	DenyCaps []string
	// MaxLimit caps every limit; 0 means no cap, else it must be ≥ MinLimit.
	MaxLimit uint64
}

// Validate refuses a MaxLimit below MinLimit (ErrBadPolicy). It never
// mutates p.
func (p Policy) Validate() error {
	if p.MaxLimit != 0 && budget.ValidLimit(p.MaxLimit) != nil {
		return ErrBadPolicy
	}
	return nil
}

// apply narrows caps and limit by the policy.
func (p Policy) apply(caps []string, limit uint64) ([]string, uint64) {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		if !slices.Contains(p.DenyCaps, c) {
			out = append(out, c)
		}
	}
	if p.MaxLimit != 0 && p.MaxLimit < limit {
		limit = p.MaxLimit
	}
	return out, limit
}

// Frontier is what a verified token (or the Genesis default) permits:
// the last block's caps minus the policy's DenyCaps, its FlowLimit capped
// by MaxLimit, and its epoch window. TokenHash is H(token), zero for the
// Genesis default.
type Frontier struct {
	Caps []string
	// Limit is Limit(ctx, dst) of SPEC §6.2: Granted capped by MaxLimit.
	Limit uint64
	// Granted is the token's last FlowLimit (or DefaultLimit) before the
	// local cap; grant selection compares it.
	Granted   uint64
	FromEpoch uint64
	ToEpoch   uint64
	TokenHash [32]byte
}

// Has reports whether name is in the frontier.
func (f Frontier) Has(name string) bool {
	_, ok := slices.BinarySearch(f.Caps, name)
	return ok
}

// Permits is the CapGuard check of SPEC §6.4 step 1: need ∈ Caps and
// FromEpoch ≤ epoch ≤ ToEpoch. Errors wrap flow.ErrAuthorizationDenied.
func (f Frontier) Permits(need string, epoch uint64) error {
	if epoch < f.FromEpoch || epoch > f.ToEpoch {
		return ErrEpochWindow
	}
	if !f.Has(need) {
		return ErrNotPermitted
	}
	return nil
}

// Verify evaluates a token purely (SPEC §6.1): the signature chain from
// issuerKey (which must equal t.Issuer), every block in ctx and narrowing
// its predecessor, FlowLimit ≥ MinLimit, flowEpoch within the last
// block's window, and presenter — the channel-authenticated authority —
// equal to the last Subject. Every error wraps flow.ErrAuthorizationDenied;
// block-level failures are *BlockError.
func Verify(t *CapToken, presenter journal.AuthorityID, ctx journal.ContextID,
	flowEpoch uint64, issuerKey [32]byte, p Policy) (Frontier, error) {
	if err := checkChain(t, ctx, issuerKey); err != nil {
		return Frontier{}, err
	}
	last := t.Last()
	if last.Subject != presenter {
		return Frontier{}, ErrWrongPresenter
	}
	if flowEpoch < last.FromEpoch || flowEpoch > last.ToEpoch {
		return Frontier{}, ErrEpochWindow
	}
	caps, limit := p.apply(last.Caps, last.FlowLimit)
	return Frontier{Caps: caps, Limit: limit, Granted: last.FlowLimit, FromEpoch: last.FromEpoch,
		ToEpoch: last.ToEpoch, TokenHash: t.Hash()}, nil
}

// checkChain verifies issuer, signatures, context and narrowing.
func checkChain(t *CapToken, ctx journal.ContextID, issuerKey [32]byte) error {
	if len(t.Blocks) == 0 {
		return ErrEmptyToken
	}
	if len(t.Blocks) > MaxBlocks {
		return ErrMalformed
	}
	if t.Issuer != issuerKey {
		return ErrWrongIssuer
	}
	key, prevSig := t.Issuer, [64]byte{}
	for i := range t.Blocks {
		if err := checkBlock(t.Blocks, i, ctx, key, prevSig); err != nil {
			return &BlockError{Index: i, Err: err}
		}
		key, prevSig = t.Blocks[i].NextKey, t.Blocks[i].Sig
	}
	return nil
}

func checkBlock(bs []CapBlock, i int, ctx journal.ContextID, key [32]byte, prevSig [64]byte) error {
	b := &bs[i]
	if b.Context != ctx {
		return ErrWrongContext
	}
	if err := wellFormed(b); err != nil {
		return err
	}
	if i > 0 {
		if err := narrows(&bs[i-1], b); err != nil {
			return err
		}
	}
	h := signingHash(prevSig, b)
	if !ed25519.Verify(ed25519.PublicKey(key[:]), h[:], b.Sig[:]) {
		return ErrBadSignature
	}
	return nil
}

// wellFormed checks a block on its own: sorted unique caps, a valid window
// and limit.
func wellFormed(b *CapBlock) error {
	if len(b.Caps) > MaxCaps || !strictlySorted(b.Caps) {
		return ErrMalformed
	}
	if b.FromEpoch > b.ToEpoch {
		return ErrEpochWindow
	}
	if budget.ValidLimit(b.FlowLimit) != nil {
		return ErrLimitTooLow
	}
	return nil
}

// narrows checks that next only shrinks prev (SPEC §6.1).
func narrows(prev, next *CapBlock) error {
	if next.Context != prev.Context {
		return ErrWrongContext
	}
	if next.FlowLimit > prev.FlowLimit ||
		next.FromEpoch < prev.FromEpoch || next.ToEpoch > prev.ToEpoch {
		return ErrWidening
	}
	for _, c := range next.Caps {
		if _, ok := slices.BinarySearch(prev.Caps, c); !ok {
			return ErrWidening
		}
	}
	return nil
}

// Authorizer evaluates a presented token in its wire form. The native
// CapToken implements it (Native); another format (e.g. Biscuit) can plug
// in behind the same contract: pure, every error wrapping
// flow.ErrAuthorizationDenied, Frontier.TokenHash = H(token bytes).
type Authorizer interface {
	Authorize(token []byte, presenter journal.AuthorityID, ctx journal.ContextID,
		flowEpoch uint64, issuerKey [32]byte) (Frontier, error)
}

// Native is the Authorizer for CapToken bytes under a local Policy.
type Native struct{ Policy Policy }

// Authorize decodes token and runs Verify.
func (n Native) Authorize(token []byte, presenter journal.AuthorityID, ctx journal.ContextID,
	flowEpoch uint64, issuerKey [32]byte) (Frontier, error) {
	t, err := Decode(token)
	if err != nil {
		return Frontier{}, err
	}
	return Verify(&t, presenter, ctx, flowEpoch, issuerKey, n.Policy)
}
