package authsvc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/journal"
	jsync "github.com/aura-p2p/aura-p2p/journal/sync"
	"github.com/aura-p2p/aura-p2p/journal/tree/invite"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
	"github.com/aura-p2p/aura-p2p/node"
)

func testPeer(t testing.TB, seed byte) peer.ID {
	t.Helper()
	k, err := crypto.UnmarshalEd25519PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := peer.IDFromPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testDevice(t testing.TB, seed byte) *node.Device {
	t.Helper()
	d, err := node.DeviceFromSeed(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestHintsRoundTrip: EncodeHints/DecodeHints round-trip; truncations,
// trailing bytes, bad versions and oversize counts are ErrBadHint.
func TestHintsRoundTrip(t *testing.T) {
	aid := journal.AuthorityID{1, 2, 3}
	a1 := ma.StringCast("/ip4/127.0.0.1/tcp/4001")
	hs := []Hint{
		{Device: journal.DeviceID{9}, Peer: testPeer(t, 1), Addrs: []ma.Multiaddr{a1}},
		{Device: journal.DeviceID{8}, Peer: testPeer(t, 2)},
	}
	b, err := EncodeHints(aid, hs)
	if err != nil {
		t.Fatal(err)
	}
	gotA, got, err := DecodeHints(b)
	if err != nil || gotA != aid || len(got) != 2 || got[0].Peer != hs[0].Peer || got[1].Device != hs[1].Device ||
		len(got[0].Addrs) != 1 || !got[0].Addrs[0].Equal(a1) || len(got[1].Addrs) != 0 {
		t.Fatalf("round trip: %v %v %+v", err, gotA, got)
	}
	for i := range len(b) {
		if _, _, err := DecodeHints(b[:i]); !errors.Is(err, ErrBadHint) {
			t.Fatalf("truncated to %d: %v", i, err)
		}
	}
	for name, bad := range map[string][]byte{
		"trailing": append(bytes.Clone(b), 0),
		"version":  append([]byte{2}, b[1:]...),
		"count":    append(append([]byte{1}, aid[:]...), maxHints+1),
	} {
		if _, _, err := DecodeHints(bad); !errors.Is(err, ErrBadHint) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := EncodeHints(aid, make([]Hint, maxHints+1)); !errors.Is(err, ErrBadHint) {
		t.Fatalf("too many hints: %v", err)
	}
}

// FuzzDecodeHints: arbitrary bytes never panic; whatever decodes
// re-encodes to the same bytes (one canonical form).
func FuzzDecodeHints(f *testing.F) {
	b, _ := EncodeHints(journal.AuthorityID{1}, []Hint{{Device: journal.DeviceID{2}, Peer: testPeer(f, 3),
		Addrs: []ma.Multiaddr{ma.StringCast("/ip4/10.0.0.1/udp/1/quic-v1")}}})
	f.Add(b)
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		aid, hs, err := DecodeHints(in)
		if err != nil {
			if !errors.Is(err, ErrBadHint) {
				t.Fatalf("error %v is not ErrBadHint", err)
			}
			return
		}
		out, err := EncodeHints(aid, hs)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("re-encode: %v\n in %x\nout %x", err, in, out)
		}
	})
}

// TestWireErr: every service refusal reaches the control sentinel the
// CLI explains; the original stays matchable; other errors stay internal.
func TestWireErr(t *testing.T) {
	off := &treesvc.OfflineError{Devices: []journal.DeviceID{{7}}, Cause: dkg.ErrDKGTimeout}
	cases := []struct {
		err, want error
	}{
		{treesvc.ErrNotMember, control.ErrNotMember},
		{fmt.Errorf("x: %w", treesvc.ErrUnknownAuthority), control.ErrNotMember},
		{treesvc.ErrBelowThreshold, control.ErrBelowThreshold},
		{off, control.ErrDeviceOffline},
		{fmt.Errorf("join DKG: %w", dkg.ErrDKGTimeout), control.ErrDeviceOffline},
		{treesvc.ErrBadChange, control.ErrBadRequest},
		{invite.ErrBadCode, control.ErrBadRequest},
		{invite.ErrExpired, control.ErrBadRequest},
		{ErrNoAuthority, control.ErrNotMember},
		{ErrAmbiguous, control.ErrBadRequest},
		{ErrBadID, control.ErrBadRequest},
	}
	for _, c := range cases {
		got := wireErr(c.err)
		if !errors.Is(got, c.want) || !errors.Is(got, c.err) {
			t.Errorf("wireErr(%v) = %v, want %v wrapping it", c.err, got, c.want)
		}
	}
	other := errors.New("disk on fire")
	if got := wireErr(other); got != other {
		t.Errorf("wireErr(other) = %v", got)
	}
	if wireErr(nil) != nil {
		t.Error("wireErr(nil) != nil")
	}
	if !bytes.Contains([]byte(wireErr(off).Error()), []byte(journal.DeviceID{7}.String())) {
		t.Errorf("offline message %q does not name the device", wireErr(off))
	}
}

type sinkRec struct{ got map[peer.ID][]ma.Multiaddr }

func (s *sinkRec) AddAddrs(p peer.ID, addrs []ma.Multiaddr) { s.got[p] = addrs }

// TestPeerBook: DevicePeer facts resolve a device only if signed by the
// device's own key, the largest Seq wins, facts beat learned mappings
// which beat hints, and fact addresses reach the peerstore sink.
func TestPeerBook(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, dssync.MutexWrap(ds.NewMapDatastore()), journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	aid := journal.AuthorityID{5}
	ns := journal.AuthorityNS(aid)
	j.Join(ns)
	me, b, c := testDevice(t, 1), testDevice(t, 2), testDevice(t, 3)
	pMe, pB1, pB2, pC := testPeer(t, 11), testPeer(t, 12), testPeer(t, 13), testPeer(t, 14)
	addr := ma.StringCast("/ip4/127.0.0.1/tcp/9")
	t0 := time.UnixMilli(1_000_000)
	facts := [][]byte{
		devicePeerFact(ns, b, pB1, nil, uint64(t0.UnixMilli())),
		devicePeerFact(ns, b, pB2, []ma.Multiaddr{addr}, uint64(t0.Add(time.Second).UnixMilli())), // newer: wins
		// c's id claimed with b's key: ignored.
		journal.SignBody(ns, &journal.DevicePeer{PeerID: []byte(pC), Seq: 9}, c.ID, b.Key).Canonical(),
	}
	if _, err := j.Add(ctx, ns, time.Now(), facts...); err != nil {
		t.Fatal(err)
	}
	sink := &sinkRec{got: map[peer.ID][]ma.Multiaddr{}}
	book := newPeerBook(j, sink, me.ID, pMe)
	if p, ok := book.PeerOf(aid, me.ID); !ok || p != pMe {
		t.Fatalf("self: %v %v", p, ok)
	}
	if p, ok := book.PeerOf(aid, b.ID); !ok || p != pB2 {
		t.Fatalf("b: %v %v, want the newer fact's %v", p, ok, pB2)
	}
	if len(sink.got[pB2]) != 1 || !sink.got[pB2][0].Equal(addr) {
		t.Fatalf("sink got %v", sink.got)
	}
	if _, ok := book.PeerOf(aid, c.ID); ok {
		t.Fatal("a fact signed by another device's key resolved c")
	}
	book.setHints(aid, []Hint{{Device: c.ID, Peer: pC}})
	if p, ok := book.PeerOf(aid, c.ID); !ok || p != pC {
		t.Fatalf("hinted c: %v %v", p, ok)
	}
	book.learn(aid, c.ID, pB1)
	if p, _ := book.PeerOf(aid, c.ID); p != pB1 {
		t.Fatalf("learned mapping does not beat a hint: %v", p)
	}
	book.setHints(journal.AuthorityID{6}, []Hint{{Device: b.ID, Peer: pC}})
	book.learn(aid, b.ID, pC)
	if p, _ := book.PeerOf(aid, b.ID); p != pB2 {
		t.Fatalf("b's own fact must beat learned/hinted mappings, got %v", p)
	}
	book.forget(aid, c.ID)
	if p, _ := book.PeerOf(aid, c.ID); p != pC {
		t.Fatalf("after forget: %v, want the hint", p)
	}
}

// TestPeerLookupsScopedToAuthority: this device belongs to authorities A
// and B. A device of B (or B's inviter) hints a false peer for A's
// fact-less joiner under B; A's lookups ignore it and read only A's
// DevicePeer registers, A's learned mappings and A's hints. Likewise a
// device's DevicePeer fact in B and a mapping learned for B's join do not
// resolve it for A.
func TestPeerLookupsScopedToAuthority(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, dssync.MutexWrap(ds.NewMapDatastore()), journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	aidA, aidB := journal.AuthorityID{0xa}, journal.AuthorityID{0xb}
	nsB := journal.AuthorityNS(aidB)
	j.Join(journal.AuthorityNS(aidA))
	j.Join(nsB)
	me, joiner, other := testDevice(t, 1), testDevice(t, 2), testDevice(t, 3)
	pMe, pJoiner, pEvil, pOther := testPeer(t, 21), testPeer(t, 22), testPeer(t, 23), testPeer(t, 24)
	if _, err := j.Add(ctx, nsB, time.Now(), devicePeerFact(nsB, other, pOther, nil, 1)); err != nil {
		t.Fatal(err)
	}
	book := newPeerBook(j, nil, me.ID, pMe)

	// B's hint about A's joiner: no answer for A.
	book.setHints(aidB, []Hint{{Device: joiner.ID, Peer: pEvil}})
	if p, ok := book.PeerOf(aidA, joiner.ID); ok {
		t.Fatalf("a hint about B resolved A's joiner to %s", p)
	}
	// A's own hint resolves it, and B's hint does not override it.
	book.setHints(aidA, []Hint{{Device: joiner.ID, Peer: pJoiner}})
	book.setHints(aidB, []Hint{{Device: joiner.ID, Peer: pEvil}})
	if p, ok := book.PeerOf(aidA, joiner.ID); !ok || p != pJoiner {
		t.Fatalf("A's joiner resolved to %v %v, want A's hint %s", p, ok, pJoiner)
	}
	if p, ok := book.PeerOf(aidB, joiner.ID); !ok || p != pEvil {
		t.Fatalf("B's lookups must still see B's hint: %v %v", p, ok)
	}
	// A mapping learned for B's join does not beat (or replace) A's hint.
	book.learn(aidB, joiner.ID, pEvil)
	if p, _ := book.PeerOf(aidA, joiner.ID); p != pJoiner {
		t.Fatalf("a mapping learned for B redirected A's joiner to %s", p)
	}
	// A DevicePeer fact in B's namespace resolves the device for B only.
	if p, ok := book.PeerOf(aidB, other.ID); !ok || p != pOther {
		t.Fatalf("B's fact: %v %v", p, ok)
	}
	if p, ok := book.PeerOf(aidA, other.ID); ok {
		t.Fatalf("B's DevicePeer fact resolved a device for A: %s", p)
	}
}

// TestHintsBounded: hint frames replace their authority's hints, so a
// current device that sends frame after frame of fresh DeviceIds cannot
// grow the book (or keep stale mappings alive) beyond maxHints per
// authority.
func TestHintsBounded(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, dssync.MutexWrap(ds.NewMapDatastore()), journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	me := testDevice(t, 1)
	book := newPeerBook(j, nil, me.ID, testPeer(t, 1))
	aid := journal.AuthorityID{7}
	p := testPeer(t, 2)
	for round := range 50 {
		hs := make([]Hint, maxHints)
		for i := range hs {
			hs[i] = Hint{Device: journal.DeviceID{byte(round), byte(i), 1}, Peer: p}
		}
		book.setHints(aid, hs)
	}
	n := 0
	for _, hs := range book.hints {
		n += len(hs)
	}
	if n > maxHints {
		t.Fatalf("book holds %d hinted devices after 50 frames, want ≤ %d", n, maxHints)
	}
	if _, ok := book.PeerOf(aid, journal.DeviceID{0, 0, 1}); ok {
		t.Fatal("a replaced frame's hint still resolves")
	}
	if q, ok := book.PeerOf(aid, journal.DeviceID{49, 3, 1}); !ok || q != p {
		t.Fatalf("latest frame's hint: %v %v", q, ok)
	}
}

// addrHost is a node.HostInfo whose only used methods are Addrs and
// AddAddrs.
type addrHost struct {
	node.HostInfo
	addrs []ma.Multiaddr
}

func (h *addrHost) Addrs() []ma.Multiaddr                     { return h.addrs }
func (h *addrHost) AddAddrs(peer.ID, []ma.Multiaddr)          {}
func (h *addrHost) PeerAddrs(peer.ID) []ma.Multiaddr          { return nil }
func (h *addrHost) ReportMisbehaviour(_ peer.ID, _, _ string) {}

// TestDevicePeerSeqMonotonic: a DevicePeer fact written after a restart
// whose clock reads earlier than the last fact's Seq (clock stepped back)
// still supersedes it: Seq is max(now ms, own largest Seq + 1), so the
// new addresses are the ones every member resolves.
func TestDevicePeerSeqMonotonic(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, dssync.MutexWrap(ds.NewMapDatastore()), journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	aid := journal.AuthorityID{5}
	ns := journal.AuthorityNS(aid)
	j.Join(ns)
	me, pMe := testDevice(t, 1), testPeer(t, 11)
	old, cur := ma.StringCast("/ip4/127.0.0.1/tcp/1"), ma.StringCast("/ip4/127.0.0.1/tcp/2")
	later := time.UnixMilli(2_000_000)
	if _, err := j.Add(ctx, ns, time.Now(), devicePeerFact(ns, me, pMe, []ma.Multiaddr{old}, uint64(later.UnixMilli()))); err != nil {
		t.Fatal(err)
	}
	host := &addrHost{addrs: []ma.Multiaddr{cur}}
	env := node.Env{Journal: j, Device: me, Host: host}
	s := &Service{cfg: Config{Now: func() time.Time { return later.Add(-time.Minute) }}.withDefaults(), env: env,
		dev: me, self: pMe, book: newPeerBook(j, host, me.ID, pMe)}
	s.sync = newNodeSyncer(env, slog.New(slog.DiscardHandler))
	for range 2 {
		if err := s.announce(ctx, aid); err != nil {
			t.Fatal(err)
		}
	}
	got := readDevicePeers(j, ns)[me.ID]
	if got.seq <= uint64(later.UnixMilli()) || len(got.addrs) != 1 || !got.addrs[0].Equal(cur) {
		t.Fatalf("resolved own fact seq %d addrs %v, want seq > %d with %v", got.seq, got.addrs, later.UnixMilli(), cur)
	}
}

// TestInviteExpiryParam: an expiry_ms whose conversion to a Duration
// would overflow (and wrap into the accepted range) or that is outside
// (0, MaxInviteExpiry] is bad_request before anything runs.
func TestInviteExpiryParam(t *testing.T) {
	// 10⁶ = 2⁶·15625, so (2⁵⁸ + 3 600 000)·10⁶ ≡ 3.6·10¹² ns (one hour)
	// mod 2⁶⁴: a 2⁵⁸ ms (9 million years) expiry wraps to one hour.
	wrap := int64(1)<<58 + time.Hour.Milliseconds()
	if d := time.Duration(wrap) * time.Millisecond; d != time.Hour {
		t.Fatalf("test setup: %d ms wraps to %s", wrap, d)
	}
	h := handlers{a: New(Config{})}
	for _, ms := range []int64{wrap, -1, MaxInviteExpiry.Milliseconds() + 1} {
		_, err := h.invite(context.Background(), control.DeviceInviteParams{ExpiryMs: ms})
		if !errors.Is(err, control.ErrBadRequest) {
			t.Errorf("expiry_ms %d: %v, want bad_request", ms, err)
		}
	}
}

// TestFailedTrustAdmitsNoHints: a join whose inviter could not be
// trusted for sync (here: no sync service) leaves no record admitting
// that inviter's device peer hints.
func TestFailedTrustAdmitsNoHints(t *testing.T) {
	y := newNodeSyncer(node.Env{Device: testDevice(t, 1)}, slog.New(slog.DiscardHandler))
	ns := journal.AuthorityNS(journal.AuthorityID{3})
	inviter := testDevice(t, 2)
	err := y.trust(context.Background(), ns, jsync.TrustedDevice{Device: inviter.ID, DeviceKey: inviter.Pub(), Peer: testPeer(t, 2)})
	if err == nil {
		t.Fatal("trust without a sync service succeeded")
	}
	if _, ok := y.trustedOf(ns); ok {
		t.Fatal("a failed trust still admits the inviter's hints")
	}
}
