package receipt

import (
	"crypto/ed25519"
	"encoding/binary"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Size is the canonical length of a Receipt: every field is fixed width.
const Size = 16 + 16 + 16 + 8 + 4 + 8 + 32 + 32 + 64

const unsignedSize = Size - 64

// Receipt is the per-hop flow receipt of SPEC §6.3. It names no device.
type Receipt struct {
	Ctx   journal.ContextID
	Src   journal.AuthorityID
	Dst   journal.AuthorityID
	Epoch uint64 // flow epoch
	Cost  uint32
	// Nonce is ReceiptNonce(bk, Spent'), see Nonce.
	Nonce uint64
	// Prev is H(previous hop's receipt), or the origin binding Root(Ctx,
	// PayloadHash).
	Prev [32]byte
	// PayloadHash is PayloadHash(protocolID, frame without Receipt) for
	// direct frames; envelopes and relay hops bind per SPEC §7.2–7.3.
	PayloadHash [32]byte
	// Sig is Src's context member key over SigningHash().
	Sig [64]byte
}

// Canonical is Ctx, Src, Dst raw; Epoch u64; Cost u32; Nonce u64; Prev,
// PayloadHash, Sig raw (SPEC §0): Size bytes.
func (r *Receipt) Canonical() []byte {
	b := r.appendUnsigned(make([]byte, 0, Size))
	return append(b, r.Sig[:]...)
}

// Unsigned is Canonical without the trailing Sig.
func (r *Receipt) Unsigned() []byte { return r.appendUnsigned(make([]byte, 0, unsignedSize)) }

func (r *Receipt) appendUnsigned(b []byte) []byte {
	b = append(b, r.Ctx[:]...)
	b = append(b, r.Src[:]...)
	b = append(b, r.Dst[:]...)
	b = binary.BigEndian.AppendUint64(b, r.Epoch)
	b = binary.BigEndian.AppendUint32(b, r.Cost)
	b = binary.BigEndian.AppendUint64(b, r.Nonce)
	b = append(b, r.Prev[:]...)
	return append(b, r.PayloadHash[:]...)
}

// SigningHash is H("aura/flow-receipt/v1", receipt without Sig): the
// fields above Sig as one part.
func (r *Receipt) SigningHash() [32]byte {
	return canon.H("aura/flow-receipt/v1", r.Unsigned())
}

// Hash is H(receipt) = H("aura/h/v1", Canonical()): the next hop's Prev.
func (r *Receipt) Hash() [32]byte { return canon.HPlain(r.Canonical()) }

// Sign sets Sig with the sender's context member key.
func (r *Receipt) Sign(memberKey ed25519.PrivateKey) {
	h := r.SigningHash()
	copy(r.Sig[:], ed25519.Sign(memberKey, h[:]))
}

// VerifySig checks Sig under the member key pub.
func (r *Receipt) VerifySig(pub [32]byte) bool {
	h := r.SigningHash()
	return ed25519.Verify(ed25519.PublicKey(pub[:]), h[:], r.Sig[:])
}

// Decode parses exactly Size canonical bytes; anything else is
// ErrMalformed. It never panics and allocates nothing but the result.
func Decode(b []byte) (Receipt, error) {
	var r Receipt
	if len(b) != Size {
		return r, ErrMalformed
	}
	b = b[copy(r.Ctx[:], b):]
	b = b[copy(r.Src[:], b):]
	b = b[copy(r.Dst[:], b):]
	r.Epoch = binary.BigEndian.Uint64(b)
	r.Cost = binary.BigEndian.Uint32(b[8:])
	r.Nonce = binary.BigEndian.Uint64(b[12:])
	b = b[20:]
	b = b[copy(r.Prev[:], b):]
	b = b[copy(r.PayloadHash[:], b):]
	copy(r.Sig[:], b)
	return r, nil
}

// Nonce is ReceiptNonce(bk, Spent'): the first 8 bytes (big-endian) of
// H("aura/receipt-nonce/v1", AuthoritySecret, Ctx, Dst, u64 Epoch,
// DeviceId, u16 slot, u64 Spent'). Spent' rises per slot and the device
// id separates devices, so it is unique per (ctx, src, dst, epoch) even
// when slot tables disagree, and reveals neither device nor slot.
func Nonce(authoritySecret []byte, k budget.Key, device journal.DeviceID, spent uint64) uint64 {
	var e8 [8]byte
	var s2 [2]byte
	var p8 [8]byte
	binary.BigEndian.PutUint64(e8[:], k.Epoch)
	binary.BigEndian.PutUint16(s2[:], k.Slot)
	binary.BigEndian.PutUint64(p8[:], spent)
	h := canon.H("aura/receipt-nonce/v1", authoritySecret, k.Ctx[:], k.Dst[:], e8[:], device[:], s2[:], p8[:])
	return binary.BigEndian.Uint64(h[:8])
}

// Root is the origin binding H("aura/receipt-root/v1", Ctx, PayloadHash),
// the Prev of a first-hop receipt.
func Root(ctx journal.ContextID, payloadHash [32]byte) [32]byte {
	return canon.H("aura/receipt-root/v1", ctx[:], payloadHash[:])
}

// PayloadHash is H("aura/payload/v1", protocolID, frame without Receipt).
func PayloadHash(protocolID string, frame []byte) [32]byte {
	return canon.H("aura/payload/v1", []byte(protocolID), frame)
}
