package sync

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Mode is Box_I's session mode.
type Mode uint8

const (
	// ModeReconcile runs the RIBLT reconciliation (steps 3–7).
	ModeReconcile Mode = 1
	// ModePush announces new local facts: Facts frames after HelloAck,
	// then End.
	ModePush Mode = 2
)

// Status is Box_R's comparison of Sym0 with C_R[0].
type Status uint8

const (
	// StatusDiffer: C_R[0] ≠ Sym0; symbols follow.
	StatusDiffer Status = 0
	// StatusEqual: C_R[0] = Sym0; the session skips to End.
	StatusEqual Status = 1
)

// Token is the capability in Box_I: the full token, or its hash when the
// responder already holds it. Full non-nil selects the full form.
type Token struct {
	Full []byte
	Hash [32]byte
}

// HelloBox is Box_I's plaintext.
type HelloBox struct {
	Mode    Mode
	Author  [16]byte
	Sig     []byte // Ed25519, 64 bytes
	Token   Token
	Sym0    riblt.Symbol
	Receipt []byte
}

// AckBox is Box_R's plaintext.
type AckBox struct {
	Author  [16]byte
	Sig     []byte
	SetSize uint64
	Status  Status
	Receipt []byte
}

// canonical encodes the box body; withReceipt=false gives "Box_I without
// Receipt", the receipt's payload input.
func (b *HelloBox) canonical(withReceipt bool) []byte {
	var e canon.Encoder
	e.U8(uint8(b.Mode)).Raw(b.Author[:]).LP(b.Sig)
	if b.Token.Full != nil {
		e.U8(1).LP(b.Token.Full)
	} else {
		e.U8(0).Raw(b.Token.Hash[:])
	}
	e.Raw(riblt.AppendSymbol(nil, b.Sym0))
	if withReceipt {
		e.LP(b.Receipt)
	}
	return e.Bytes()
}

func (b *AckBox) canonical(withReceipt bool) []byte {
	var e canon.Encoder
	e.Raw(b.Author[:]).LP(b.Sig).U64(b.SetSize).U8(uint8(b.Status))
	if withReceipt {
		e.LP(b.Receipt)
	}
	return e.Bytes()
}

// payloadHash is H("aura/payload/v1", protocolID, NonceI, tag, body):
// the PayloadHash of a box's receipt, tag = Ref (Hello) or Ack (HelloAck).
func payloadHash(nonceI, tag [16]byte, body []byte) [32]byte {
	return canon.H("aura/payload/v1", []byte(protocols.Sync), nonceI[:], tag[:], body)
}

// seal pads body to size−16 (u16 BE length ‖ body ‖ zeros) and encrypts
// it with ChaCha20-Poly1305 under key and the zero nonce.
func seal(key [32]byte, body []byte, size int) ([]byte, error) {
	room := size - chacha20poly1305.Overhead - 2
	if len(body) > room {
		return nil, fmt.Errorf("%w: box body %d > %d bytes", ErrFrameLimit, len(body), room)
	}
	pt := make([]byte, size-chacha20poly1305.Overhead)
	binary.BigEndian.PutUint16(pt, uint16(len(body)))
	copy(pt[2:], body)
	aead, err := chacha20poly1305.New(key[:])
	if err != nil {
		return nil, err
	}
	var nonce [chacha20poly1305.NonceSize]byte
	return aead.Seal(nil, nonce[:], pt, nil), nil
}

// open reverses seal. The ciphertext must have one of the allowed sizes
// and the padding must be zero.
func open(key [32]byte, ct []byte, sizes ...int) ([]byte, error) {
	okSize := false
	for _, s := range sizes {
		okSize = okSize || len(ct) == s
	}
	if !okSize {
		return nil, fmt.Errorf("%w: box of %d bytes", ErrNotMember, len(ct))
	}
	aead, err := chacha20poly1305.New(key[:])
	if err != nil {
		return nil, err
	}
	var nonce [chacha20poly1305.NonceSize]byte
	pt, err := aead.Open(nil, nonce[:], ct, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: box does not open", ErrNotMember)
	}
	n := int(binary.BigEndian.Uint16(pt))
	if n > len(pt)-2 {
		return nil, fmt.Errorf("%w: body length %d", ErrBadBox, n)
	}
	for _, b := range pt[2+n:] {
		if b != 0 {
			return nil, fmt.Errorf("%w: nonzero padding", ErrBadBox)
		}
	}
	return pt[2 : 2+n], nil
}

// reader is a bounds-checked cursor for box bodies.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated", ErrBadBox)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) lp() []byte {
	if r.err != nil {
		return nil
	}
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > uint64(len(r.b)-k) || (k > 1 && r.b[k-1] == 0) {
		r.err = fmt.Errorf("%w: bad length prefix", ErrBadBox)
		return nil
	}
	r.b = r.b[k:]
	return append([]byte{}, r.take(int(n))...)
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrBadBox, len(r.b))
	}
	return r.err
}

// DecodeHelloBox parses Box_I's plaintext body.
func DecodeHelloBox(body []byte) (HelloBox, error) {
	r := &reader{b: body}
	var b HelloBox
	b.Mode = Mode(r.u8())
	copy(b.Author[:], r.take(16))
	b.Sig = r.lp()
	switch r.u8() {
	case 0:
		copy(b.Token.Hash[:], r.take(32))
	case 1:
		b.Token.Full = r.lp()
	default:
		r.err = fmt.Errorf("%w: token form", ErrBadBox)
	}
	if r.err == nil {
		s, n, err := riblt.DecodeSymbol(r.b)
		if err != nil {
			return HelloBox{}, fmt.Errorf("%w: sym0: %w", ErrBadBox, err)
		}
		b.Sym0 = s
		r.b = r.b[n:]
	}
	b.Receipt = r.lp()
	if err := r.done(); err != nil {
		return HelloBox{}, err
	}
	if b.Mode != ModeReconcile && b.Mode != ModePush {
		return HelloBox{}, fmt.Errorf("%w: mode %d", ErrBadBox, b.Mode)
	}
	if len(b.Sig) != ed25519.SignatureSize {
		return HelloBox{}, fmt.Errorf("%w: signature of %d bytes", ErrBadBox, len(b.Sig))
	}
	return b, nil
}

// DecodeAckBox parses Box_R's plaintext body.
func DecodeAckBox(body []byte) (AckBox, error) {
	r := &reader{b: body}
	var b AckBox
	copy(b.Author[:], r.take(16))
	b.Sig = r.lp()
	if s := r.take(8); s != nil {
		b.SetSize = binary.BigEndian.Uint64(s)
	}
	b.Status = Status(r.u8())
	b.Receipt = r.lp()
	if err := r.done(); err != nil {
		return AckBox{}, err
	}
	if b.Status != StatusDiffer && b.Status != StatusEqual {
		return AckBox{}, fmt.Errorf("%w: status %d", ErrBadBox, b.Status)
	}
	if len(b.Sig) != ed25519.SignatureSize {
		return AckBox{}, fmt.Errorf("%w: signature of %d bytes", ErrBadBox, len(b.Sig))
	}
	return b, nil
}

// helloBoxSize is the sealed size for b: 1536 with a full token, else 512.
func helloBoxSize(b *HelloBox) int {
	if b.Token.Full != nil {
		return BoxSizeFullToken
	}
	return BoxSize
}
