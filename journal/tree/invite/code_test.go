package invite

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
)

func equalInvite(a, b Invite) bool {
	if len(a.Addrs) != len(b.Addrs) {
		return false
	}
	for i := range a.Addrs {
		if !a.Addrs[i].Equal(b.Addrs[i]) {
			return false
		}
	}
	a.Addrs, b.Addrs = nil, nil
	return a.Authority == b.Authority && a.Inviter == b.Inviter && a.InviterKey == b.InviterKey &&
		a.Secret == b.Secret && a.ExpiryMs == b.ExpiryMs
}

// maxAddrs is MaxAddrs addresses of exactly MaxAddrBytes bytes each.
func maxAddrs(t testing.TB) []multiaddr.Multiaddr {
	t.Helper()
	var out []multiaddr.Multiaddr
	for i := range MaxAddrs {
		// /dns4/<name>/tcp/1: 1 (code) + 2 (uvarint len) + len(name) + 3.
		name := strings.Repeat(string(rune('a'+i)), MaxAddrBytes-6)
		a, err := multiaddr.NewMultiaddr("/dns4/" + name + "/tcp/1")
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Bytes()) != MaxAddrBytes {
			t.Fatalf("addr is %d bytes", len(a.Bytes()))
		}
		out = append(out, a)
	}
	return out
}

func TestCodeRoundTrip(t *testing.T) {
	exp := t0.Add(time.Hour)
	for _, addrs := range [][]multiaddr.Multiaddr{nil, testAddrs(t, 1), maxAddrs(t)} {
		inv, err := Mint(&seqReader{next: 9}, testAuthority, simnet.PeerID(3), addrs, deviceKey(0), exp)
		if err != nil {
			t.Fatal(err)
		}
		code := inv.Code()
		if !strings.HasPrefix(code, CodePrefix) || strings.ToLower(code) != code || len(code) > MaxCodeLen {
			t.Fatalf("code %q: wrong prefix, case or length %d > %d", code, len(code), MaxCodeLen)
		}
		got, err := ParseCode("  " + code + "\n")
		if err != nil {
			t.Fatalf("ParseCode: %v", err)
		}
		if !equalInvite(got, inv) || got.Code() != code {
			t.Fatalf("round trip changed the invite: %+v vs %+v", got, inv)
		}
	}
}

func TestMintDrawsSecretAndChecksBounds(t *testing.T) {
	a, _ := Mint(&seqReader{next: 1}, testAuthority, simnet.PeerID(0), nil, deviceKey(0), t0)
	b, _ := Mint(&seqReader{next: 2}, testAuthority, simnet.PeerID(0), nil, deviceKey(0), t0)
	if a.Secret == b.Secret || a.Secret == ([32]byte{}) {
		t.Fatal("Mint did not draw the secret from rnd")
	}
	nine := append(maxAddrs(t), testAddrs(t, 1)...)
	if _, err := Mint(&seqReader{}, testAuthority, simnet.PeerID(0), nine, deviceKey(0), t0); !errors.Is(err, ErrConfig) {
		t.Fatalf("9 addrs: %v, want ErrConfig", err)
	}
	if _, err := Mint(&seqReader{}, testAuthority, peer.ID(""), nil, deviceKey(0), t0); !errors.Is(err, ErrConfig) {
		t.Fatalf("empty peer: %v, want ErrConfig", err)
	}
	if _, err := Mint(bytes.NewReader([]byte{1, 2}), testAuthority, simnet.PeerID(0), nil, deviceKey(0), t0); !errors.Is(err, ErrConfig) {
		t.Fatalf("short rnd: %v, want ErrConfig", err)
	}
}

// TestParseCodeEveryTypo replaces every character of a code by every
// other base32 character: each variant is ErrBadCode.
func TestParseCodeEveryTypo(t *testing.T) {
	code := mint(t, 1, simnet.PeerID(0), t0).Code()
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	n := 0
	for i := len(CodePrefix); i < len(code); i++ {
		for _, c := range alphabet {
			if byte(c) == code[i] {
				continue
			}
			typo := code[:i] + string(c) + code[i+1:]
			if _, err := ParseCode(typo); !errors.Is(err, ErrBadCode) {
				t.Fatalf("typo at %d (%q): %v, want ErrBadCode", i, c, err)
			}
			n++
		}
	}
	// Adjacent transpositions too.
	for i := len(CodePrefix); i+1 < len(code); i++ {
		if code[i] == code[i+1] {
			continue
		}
		typo := code[:i] + string(code[i+1]) + string(code[i]) + code[i+2:]
		if _, err := ParseCode(typo); !errors.Is(err, ErrBadCode) {
			t.Fatalf("transposition at %d: %v, want ErrBadCode", i, err)
		}
	}
	t.Logf("%d substitutions refused", n)
}

// codeOf wraps an arbitrary body with a valid checksum.
func codeOf(body []byte) string {
	sum := canon.H("aura/invite-code/v1", body)
	return CodePrefix + codeEnc.EncodeToString(append(append([]byte(nil), body...), sum[:checksumLen]...))
}

func TestParseCodeRejects(t *testing.T) {
	inv := mint(t, 1, simnet.PeerID(0), t0)
	good := inv.Code()
	body := inv.canonical()
	over := inv
	over.Addrs = append(maxAddrs(t), testAddrs(t, 1)...)
	big, _ := multiaddr.NewMultiaddr("/dns4/" + strings.Repeat("x", MaxAddrBytes) + "/tcp/1")
	bigAddr := inv
	bigAddr.Addrs = []multiaddr.Multiaddr{big}
	zeroExp := inv
	zeroExp.ExpiryMs = 0
	badPeer := inv
	badPeer.Inviter = peer.ID("not a multihash")
	// Re-encode with a non-minimal uvarint count (0x80 0x00 for 0 addrs).
	noAddrs := inv
	noAddrs.Addrs = nil
	nb := noAddrs.canonical()
	cut := 1 + 16 + 1 + len(inv.Inviter)
	nonMinimal := append(append(append([]byte(nil), nb[:cut]...), 0x80, 0x00), nb[cut+1:]...)
	cases := map[string]string{
		"empty":             "",
		"prefix only":       CodePrefix,
		"wrong prefix":      "aura-invite-2:" + strings.TrimPrefix(good, CodePrefix),
		"upper case":        strings.ToUpper(good),
		"upper body":        CodePrefix + strings.ToUpper(strings.TrimPrefix(good, CodePrefix)),
		"padding":           good + "=",
		"inner space":       good[:30] + " " + good[30:],
		"truncated":         good[:len(good)-1],
		"truncated 8":       good[:len(good)-8],
		"extra char":        good + "a",
		"trailing byte":     codeOf(append(append([]byte(nil), body...), 0)),
		"short body":        codeOf(body[:len(body)-1]),
		"bad version":       codeOf(append([]byte{2}, body[1:]...)),
		"nine addrs":        codeOf(over.canonical()),
		"oversize addr":     codeOf(bigAddr.canonical()),
		"zero expiry":       codeOf(zeroExp.canonical()),
		"bad peer id":       codeOf(badPeer.canonical()),
		"non-minimal count": codeOf(nonMinimal),
		"too long":          CodePrefix + strings.Repeat("a", MaxCodeLen),
		"garbage":           "hello world",
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCode(s); !errors.Is(err, ErrBadCode) {
				t.Fatalf("ParseCode: %v, want ErrBadCode", err)
			}
		})
	}
	if _, err := ParseCode(codeOf(body)); err != nil {
		t.Fatalf("control: the unmodified body must parse: %v", err)
	}
}

// TestParseCodeNonCanonicalTrailingBits flips the unused low bits of the
// last base32 character: the bytes decode equal, the code is refused.
func TestParseCodeNonCanonicalTrailingBits(t *testing.T) {
	for i := byte(0); i < 8; i++ {
		inv := mint(t, i, simnet.PeerID(int(i)), t0)
		code := inv.Code()
		rest := strings.TrimPrefix(code, CodePrefix)
		if len(rest)*5%8 == 0 {
			continue // no spare bits
		}
		const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
		last := strings.IndexByte(alphabet, rest[len(rest)-1])
		alt := CodePrefix + rest[:len(rest)-1] + string(alphabet[last^1])
		raw, err := codeEnc.DecodeString(strings.TrimPrefix(alt, CodePrefix))
		if err != nil {
			continue
		}
		want, _ := codeEnc.DecodeString(rest)
		if !bytes.Equal(raw, want) {
			continue // the flipped bit was significant: a plain typo
		}
		if _, err := ParseCode(alt); !errors.Is(err, ErrBadCode) {
			t.Fatalf("non-canonical trailing bits accepted: %v", err)
		}
		return
	}
	t.Fatal("no code with spare trailing bits among the samples")
}

// FuzzParseCode: never a panic; an accepted code is exactly the canonical
// one (up to surrounding white space) and re-parses to the same invite.
func FuzzParseCode(f *testing.F) {
	f.Add(mint(f, 1, simnet.PeerID(0), t0).Code())
	inv, _ := Mint(&seqReader{}, testAuthority, simnet.PeerID(1), maxAddrs(f), deviceKey(0), t0)
	f.Add(inv.Code())
	f.Add(CodePrefix)
	f.Add(CodePrefix + "aaaa")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		inv, err := ParseCode(s)
		if err != nil {
			if !errors.Is(err, ErrBadCode) {
				t.Fatalf("error does not wrap ErrBadCode: %v", err)
			}
			return
		}
		if inv.Code() != strings.TrimSpace(s) {
			t.Fatalf("accepted a non-canonical code %q", s)
		}
		again, err := ParseCode(inv.Code())
		if err != nil || !equalInvite(again, inv) {
			t.Fatalf("re-parse: %v", err)
		}
	})
}
