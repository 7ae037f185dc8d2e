package invite

import (
	"bytes"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Code format constants.
const (
	// CodePrefix starts every invitation code; the digit is the format
	// version.
	CodePrefix = "aura-invite-1:"
	// MaxAddrs bounds Invite.Addrs.
	MaxAddrs = 8
	// MaxAddrBytes bounds one binary multiaddr.
	MaxAddrBytes = 256
	// MaxPeerIDBytes bounds the inviter's binary peer id (an inlined
	// Ed25519 key is 38 bytes, a SHA-256 multihash 34).
	MaxPeerIDBytes = 64
	// checksumLen is the length of the code's typo checksum.
	checksumLen = 4
	// bodyVersion is the first byte of the canonical body.
	bodyVersion = 1
	// maxBodyBytes bounds the canonical body (every field at its cap).
	maxBodyBytes = 1 + 16 + 1 + MaxPeerIDBytes + 1 + MaxAddrs*(2+MaxAddrBytes) + 32 + 32 + 8
	// MaxCodeLen bounds a code's length in characters.
	MaxCodeLen = len(CodePrefix) + (maxBodyBytes+checksumLen)*8/5 + 1
)

// codeEnc is lower-case RFC 4648 base32 without padding: case-insensitive
// to read aloud, no characters that URLs or shells mangle.
var codeEnc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Invite is an out-of-band device invitation (SPEC §4.1 step 2). Secret
// is the one-use MAC key: whoever holds the code can join once.
type Invite struct {
	Authority journal.AuthorityID
	// Inviter is the inviting device's libp2p peer ID.
	Inviter peer.ID
	// Addrs are dial hints for Inviter (≤ MaxAddrs, each ≤ MaxAddrBytes).
	Addrs []multiaddr.Multiaddr
	// InviterKey is the inviter's Ed25519 DeviceKey, trusted by the joiner
	// for DKGStart and Commit until it has synced the authority journal.
	InviterKey [32]byte
	Secret     [32]byte
	// ExpiryMs is Unix milliseconds after which the invite is refused.
	ExpiryMs int64
}

// Mint draws a fresh Secret from rnd and returns the invite. It checks
// the bounds ParseCode enforces, so every minted invite has a code.
func Mint(rnd io.Reader, a journal.AuthorityID, inviter peer.ID, addrs []multiaddr.Multiaddr,
	inviterKey [32]byte, expiry time.Time) (Invite, error) {
	inv := Invite{Authority: a, Inviter: inviter, Addrs: append([]multiaddr.Multiaddr(nil), addrs...),
		InviterKey: inviterKey, ExpiryMs: expiry.UnixMilli()}
	if err := inv.check(); err != nil {
		return Invite{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if _, err := io.ReadFull(rnd, inv.Secret[:]); err != nil {
		return Invite{}, fmt.Errorf("%w: secret: %w", ErrConfig, err)
	}
	return inv, nil
}

// Expired reports whether the invite is past its expiry at now.
func (inv Invite) Expired(now time.Time) bool { return now.UnixMilli() > inv.ExpiryMs }

// SecretHash is H("aura/invite-secret/v1", Secret): the invite's storage
// key, safe to log.
func (inv Invite) SecretHash() [32]byte { return canon.H("aura/invite-secret/v1", inv.Secret[:]) }

// check validates sizes (every error wraps ErrBadCode).
func (inv Invite) check() error {
	if err := inv.Inviter.Validate(); err != nil || len(inv.Inviter) > MaxPeerIDBytes {
		return fmt.Errorf("%w: inviter peer id", ErrBadCode)
	}
	if _, err := peer.IDFromBytes([]byte(inv.Inviter)); err != nil {
		return fmt.Errorf("%w: inviter peer id: %w", ErrBadCode, err)
	}
	if len(inv.Addrs) > MaxAddrs {
		return fmt.Errorf("%w: %d addrs > %d", ErrBadCode, len(inv.Addrs), MaxAddrs)
	}
	for _, a := range inv.Addrs {
		if a == nil || len(a.Bytes()) == 0 || len(a.Bytes()) > MaxAddrBytes {
			return fmt.Errorf("%w: addr size", ErrBadCode)
		}
	}
	if inv.ExpiryMs <= 0 {
		return fmt.Errorf("%w: expiry", ErrBadCode)
	}
	return nil
}

// canonical is the invite's canonical binary body: u8 1 ‖ Authority ‖
// lp(peer id) ‖ uvarint count ‖ lp(addr)… ‖ InviterKey ‖ Secret ‖ u64
// ExpiryMs (SPEC §0 rules, internal/canon).
func (inv Invite) canonical() []byte {
	var e canon.Encoder
	e.U8(bodyVersion).Raw(inv.Authority[:]).LP([]byte(inv.Inviter)).Count(len(inv.Addrs))
	for _, a := range inv.Addrs {
		e.LP(a.Bytes())
	}
	return e.Raw(inv.InviterKey[:]).Raw(inv.Secret[:]).U64(uint64(inv.ExpiryMs)).Bytes()
}

// Code is the copy-pasteable text form: CodePrefix ‖ base32(body ‖
// checksum), checksum = the first 4 bytes of H("aura/invite-code/v1",
// body). Invites from Mint or ParseCode always give a code ParseCode
// accepts; an invite built by hand beyond the bounds gives one it refuses.
func (inv Invite) Code() string {
	body := inv.canonical()
	sum := canon.H("aura/invite-code/v1", body)
	return CodePrefix + codeEnc.EncodeToString(append(body, sum[:checksumLen]...))
}

// ParseCode parses a code made by Code. Surrounding white space is
// ignored; anything else that is not exactly the canonical form (case,
// padding, trailing bits, bytes or a failing checksum, sizes over the
// bounds) fails with an error wrapping ErrBadCode.
func ParseCode(s string) (Invite, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxCodeLen {
		return Invite{}, fmt.Errorf("%w: too long", ErrBadCode)
	}
	rest, ok := strings.CutPrefix(s, CodePrefix)
	if !ok {
		return Invite{}, fmt.Errorf("%w: prefix", ErrBadCode)
	}
	raw, err := codeEnc.DecodeString(rest)
	if err != nil || codeEnc.EncodeToString(raw) != rest || len(raw) < checksumLen {
		return Invite{}, fmt.Errorf("%w: encoding", ErrBadCode)
	}
	body, sum := raw[:len(raw)-checksumLen], raw[len(raw)-checksumLen:]
	want := canon.H("aura/invite-code/v1", body)
	if subtle.ConstantTimeCompare(sum, want[:checksumLen]) != 1 {
		return Invite{}, fmt.Errorf("%w: checksum (typo?)", ErrBadCode)
	}
	return decodeBody(body)
}

// decodeBody decodes a canonical body strictly: it must re-encode to the
// same bytes.
func decodeBody(b []byte) (Invite, error) {
	d := reader{b: b}
	var inv Invite
	if d.u8() != bodyVersion {
		return Invite{}, fmt.Errorf("%w: version", ErrBadCode)
	}
	d.fixed(inv.Authority[:])
	inv.Inviter = peer.ID(d.lp(MaxPeerIDBytes))
	n := d.count(MaxAddrs)
	for range n {
		a, err := multiaddr.NewMultiaddrBytes(d.lp(MaxAddrBytes))
		if err != nil {
			d.fail()
			break
		}
		inv.Addrs = append(inv.Addrs, a)
	}
	d.fixed(inv.InviterKey[:])
	d.fixed(inv.Secret[:])
	inv.ExpiryMs = int64(d.u64())
	if d.bad || len(d.b) != 0 {
		return Invite{}, fmt.Errorf("%w: body", ErrBadCode)
	}
	if err := inv.check(); err != nil {
		return Invite{}, err
	}
	if !bytes.Equal(inv.canonical(), b) {
		return Invite{}, fmt.Errorf("%w: non-canonical body", ErrBadCode)
	}
	return inv, nil
}

// reader consumes canonical bytes; any short read or bound sets bad.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) fail() { r.bad, r.b = true, nil }

func (r *reader) take(n int) []byte {
	if r.bad || n < 0 || len(r.b) < n {
		r.fail()
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) fixed(dst []byte) { copy(dst, r.take(len(dst))) }

// count reads a uvarint ≤ max.
func (r *reader) count(max int) int {
	if r.bad {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > uint64(max) {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

// lp reads a length-prefixed byte string of at most max bytes.
func (r *reader) lp(max int) []byte {
	n := r.count(max)
	return r.take(n)
}
