package cap

import (
	"crypto/ed25519"
	"slices"
)

// Issue creates a one-block token: block b (its Sig ignored) signed by
// issuer, whose public key becomes Issuer. b.Caps is sorted (a copy);
// duplicate or malformed names, FromEpoch > ToEpoch or a FlowLimit below
// MinLimit are refused, so an issued token always verifies structurally.
func Issue(issuer ed25519.PrivateKey, b CapBlock) (CapToken, error) {
	var t CapToken
	copy(t.Issuer[:], issuer.Public().(ed25519.PublicKey))
	b, err := normalise(b)
	if err != nil {
		return CapToken{}, &BlockError{Index: 0, Err: err}
	}
	b.Sig = sign(issuer, [64]byte{}, &b)
	t.Blocks = []CapBlock{b}
	return t, nil
}

// Attenuate appends block b signed by holder, which must hold the last
// block's NextKey. b must narrow the last block (caps ⊆, limit ≤, window
// ⊆, same Context); the input token is not modified.
func Attenuate(t CapToken, holder ed25519.PrivateKey, b CapBlock) (CapToken, error) {
	if len(t.Blocks) == 0 {
		return CapToken{}, ErrEmptyToken
	}
	if len(t.Blocks) >= MaxBlocks {
		return CapToken{}, ErrMalformed
	}
	last := t.Last()
	if !slices.Equal(holder.Public().(ed25519.PublicKey), ed25519.PublicKey(last.NextKey[:])) {
		return CapToken{}, ErrWrongKey
	}
	idx := len(t.Blocks)
	b, err := normalise(b)
	if err != nil {
		return CapToken{}, &BlockError{Index: idx, Err: err}
	}
	if err := narrows(&last, &b); err != nil {
		return CapToken{}, &BlockError{Index: idx, Err: err}
	}
	b.Sig = sign(holder, last.Sig, &b)
	out := CapToken{Issuer: t.Issuer, Blocks: append(slices.Clone(t.Blocks), b)}
	return out, nil
}

func sign(k ed25519.PrivateKey, prevSig [64]byte, b *CapBlock) [64]byte {
	h := signingHash(prevSig, b)
	var sig [64]byte
	copy(sig[:], ed25519.Sign(k, h[:]))
	return sig
}

// normalise sorts a copy of the caps and checks the block's own shape.
func normalise(b CapBlock) (CapBlock, error) {
	b.Caps = slices.Clone(b.Caps)
	slices.Sort(b.Caps)
	if len(b.Caps) > MaxCaps || !strictlySorted(b.Caps) {
		return b, ErrMalformed
	}
	for _, c := range b.Caps {
		if c == "" || len(c) > MaxCapName {
			return b, ErrMalformed
		}
	}
	if err := wellFormed(&b); err != nil {
		return b, err
	}
	b.Sig = [64]byte{}
	return b, nil
}
