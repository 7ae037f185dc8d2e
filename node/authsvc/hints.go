package authsvc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/aura-p2p/aura-p2p/consensus/driver"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree/invite"
)

// HintProtocol carries an inviter's DeviceId → peer hints (SPEC §3
// DevicePeer registers it holds, plus the joiner's verified peer) to the
// devices of an AddLeaf ceremony before its DKG starts: the joiner has
// no DevicePeer fact yet (it is not a leaf) and has synced nothing, so
// neither the current members nor the joiner could resolve each other's
// peers for the DKG. Hints never override a DevicePeer fact.
const HintProtocol protocol.ID = "/aura/devpeers/1.0.0"

// Hint frame bounds.
const (
	hintVersion   = 1
	maxHints      = 64
	maxHintPeerID = 64
	hintTimeout   = 5 * time.Second
)

// ErrBadHint reports a hint frame that does not decode.
var ErrBadHint = errors.New("authsvc: bad device peer hint frame")

// Hint is one DeviceId → peer mapping with dial addresses.
type Hint struct {
	Device journal.DeviceID
	Peer   peer.ID
	Addrs  []ma.Multiaddr
}

// EncodeHints is u8 version ‖ AuthorityId ‖ u8 n ‖ n × (DeviceId ‖ u8
// len ‖ peer id ‖ u8 naddrs ‖ naddrs × (u16 len ‖ addr)).
func EncodeHints(aid journal.AuthorityID, hs []Hint) ([]byte, error) {
	if len(hs) > maxHints {
		return nil, fmt.Errorf("%w: %d hints", ErrBadHint, len(hs))
	}
	b := append([]byte{hintVersion}, aid[:]...)
	b = append(b, byte(len(hs)))
	for _, h := range hs {
		pid := []byte(h.Peer)
		if len(pid) == 0 || len(pid) > maxHintPeerID || len(h.Addrs) > invite.MaxAddrs {
			return nil, fmt.Errorf("%w: hint for %s", ErrBadHint, h.Device)
		}
		b = append(b, h.Device[:]...)
		b = append(append(b, byte(len(pid))), pid...)
		b = append(b, byte(len(h.Addrs)))
		for _, a := range h.Addrs {
			ab := a.Bytes()
			if len(ab) > invite.MaxAddrBytes {
				return nil, fmt.Errorf("%w: address of %d bytes", ErrBadHint, len(ab))
			}
			b = binary.BigEndian.AppendUint16(b, uint16(len(ab)))
			b = append(b, ab...)
		}
	}
	return b, nil
}

// DecodeHints is EncodeHints' strict inverse: exact lengths, parseable
// peer ids and multiaddrs, no trailing bytes; every failure is
// ErrBadHint.
func DecodeHints(b []byte) (journal.AuthorityID, []Hint, error) {
	var aid journal.AuthorityID
	r := hintReader{b: b}
	if r.u8() != hintVersion {
		return aid, nil, fmt.Errorf("%w: version", ErrBadHint)
	}
	copy(aid[:], r.take(len(aid)))
	n := int(r.u8())
	if n > maxHints {
		return aid, nil, fmt.Errorf("%w: %d hints", ErrBadHint, n)
	}
	hs := make([]Hint, 0, n)
	for i := 0; i < n && r.ok(); i++ {
		var h Hint
		copy(h.Device[:], r.take(len(h.Device)))
		pl := int(r.u8())
		if pl == 0 || pl > maxHintPeerID {
			return aid, nil, fmt.Errorf("%w: peer id length %d", ErrBadHint, pl)
		}
		pid, err := peer.IDFromBytes(r.take(pl))
		if r.ok() && err != nil {
			return aid, nil, fmt.Errorf("%w: peer id: %v", ErrBadHint, err)
		}
		h.Peer = pid
		na := int(r.u8())
		if na > invite.MaxAddrs {
			return aid, nil, fmt.Errorf("%w: %d addrs", ErrBadHint, na)
		}
		for j := 0; j < na && r.ok(); j++ {
			al := int(r.u16())
			if al > invite.MaxAddrBytes {
				return aid, nil, fmt.Errorf("%w: address of %d bytes", ErrBadHint, al)
			}
			raw := r.take(al)
			if !r.ok() {
				break
			}
			a, err := ma.NewMultiaddrBytes(raw)
			if err != nil {
				return aid, nil, fmt.Errorf("%w: address: %v", ErrBadHint, err)
			}
			h.Addrs = append(h.Addrs, a)
		}
		hs = append(hs, h)
	}
	if !r.ok() || len(r.b) != 0 {
		return aid, nil, fmt.Errorf("%w: truncated or trailing bytes", ErrBadHint)
	}
	return aid, hs, nil
}

type hintReader struct {
	b   []byte
	bad bool
}

func (r *hintReader) ok() bool { return !r.bad }

func (r *hintReader) take(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad, r.b = true, nil
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *hintReader) u8() byte { return r.take(1)[0] }

func (r *hintReader) u16() uint16 { return binary.BigEndian.Uint16(r.take(2)) }

// hintMsg is the guarded send of a hint frame (or its one-byte ack) to a
// device: authority scope, the authority's budget context, DKG kind (it
// is part of the ceremony's DKG set-up).
func hintMsg(aid journal.AuthorityID, to journal.DeviceID, frame []byte) flow.Msg {
	return flow.Msg{Kind: budget.MsgDKG, Scope: flow.ScopeAuthority, Ctx: driver.AuthorityCtx(aid),
		Dst: journal.AuthorityID(to), Frame: frame}
}

// sendHints sends hs to every target (device → peer) concurrently and
// waits for each ack or hintTimeout; failures are logged (the DKG then
// names the device it could not reach).
func (s *Service) sendHints(ctx context.Context, aid journal.AuthorityID, targets map[journal.DeviceID]peer.ID, hs []Hint) {
	frame, err := EncodeHints(aid, hs)
	if err != nil {
		s.log.Warn("device peer hints not encoded", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, hintTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for d, p := range targets {
		wg.Go(func() {
			if err := s.sendHint(ctx, aid, d, p, frame); err != nil {
				s.cfg.Metrics.Hints("send_failed")
				s.log.Info("device peer hints not delivered", "device", d, "peer", p, "err", err)
				return
			}
			s.cfg.Metrics.Hints("sent")
		})
	}
	wg.Wait()
}

func (s *Service) sendHint(ctx context.Context, aid journal.AuthorityID, d journal.DeviceID, p peer.ID, frame []byte) error {
	st, err := s.env.Sender.Open(ctx, p, HintProtocol)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = st.Reset() })
	defer stop()
	if err := st.WriteFrame(ctx, hintMsg(aid, d, frame)); err != nil {
		return err
	}
	_ = st.CloseWrite()
	if _, err := st.ReadFrame(); err != nil {
		_ = st.Reset()
		return err
	}
	return st.Close()
}

// handleHints serves HintProtocol: one hint frame from a peer that is
// (per this device's journal) a current device of the named authority,
// or the inviter of a join of it in progress; anything else is a reset
// (and a misbehaviour point for frames that do not decode).
func (s *Service) handleHints(st *flow.Stream) {
	timer := time.AfterFunc(hintTimeout, func() { _ = st.Reset() })
	defer timer.Stop()
	b, err := st.ReadFrame()
	if err != nil {
		_ = st.Reset()
		return
	}
	aid, hs, err := DecodeHints(b)
	if err != nil {
		_ = st.Reset()
		s.cfg.Metrics.Hints("undecodable")
		s.env.Host.ReportMisbehaviour(st.RemotePeer(), string(HintProtocol), "undecodable")
		return
	}
	from, ok := s.hintSource(aid, st.RemotePeer())
	if !ok {
		_ = st.Reset()
		s.cfg.Metrics.Hints("refused")
		return
	}
	s.cfg.Metrics.Hints("accepted")
	s.book.setHints(aid, hs)
	for _, h := range hs {
		if h.Device != s.dev.ID {
			s.env.Host.AddAddrs(h.Peer, h.Addrs)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), hintTimeout)
	defer cancel()
	if err := st.WriteFrame(ctx, hintMsg(aid, from, []byte{1})); err != nil {
		return // a refused write already reset the stream
	}
	_ = st.CloseWrite()
	_ = st.Close()
}

// hintSource returns the DeviceId p speaks for if p may send hints about
// aid: the inviter of a join of aid in progress here, or the peer of a
// current device of aid (DevicePeer facts) while this device is one.
func (s *Service) hintSource(aid journal.AuthorityID, p peer.ID) (journal.DeviceID, bool) {
	ns := journal.AuthorityNS(aid)
	if t, ok := s.sync.trustedOf(ns); ok && t.Peer == p {
		return t.Device, true
	}
	v, err := s.tree.View(aid)
	if err != nil {
		return journal.DeviceID{}, false
	}
	self := false
	for _, d := range v.Devices {
		self = self || d.Self
	}
	if !self {
		return journal.DeviceID{}, false
	}
	for _, d := range v.Devices {
		id, err := ParseDevice(d.DeviceID)
		if err != nil || d.Self {
			continue
		}
		if q, ok := s.book.factPeer(aid, id); ok && q == p {
			return id, true
		}
	}
	return journal.DeviceID{}, false
}

// hintsFor are the hints an inviter sends before the AddLeaf of c: every
// current device's peer it knows (its own included) and the joiner's;
// targets are every other current device with a known peer and the
// joiner.
func (s *Service) hintsFor(aid journal.AuthorityID, c invite.Candidate) ([]Hint, map[journal.DeviceID]peer.ID) {
	cd := journal.DeviceIDOf(c.DeviceKey)
	hs := []Hint{{Device: s.dev.ID, Peer: s.self, Addrs: s.addrs()}}
	targets := map[journal.DeviceID]peer.ID{cd: c.Peer}
	if v, err := s.tree.View(aid); err == nil {
		for _, d := range v.Devices {
			id, err := ParseDevice(d.DeviceID)
			if err != nil || d.Self {
				continue
			}
			if p, ok := s.book.PeerOf(aid, id); ok {
				hs = append(hs, Hint{Device: id, Peer: p, Addrs: s.peerAddrs(p)})
				targets[id] = p
			}
		}
	}
	hs = append(hs, Hint{Device: cd, Peer: c.Peer, Addrs: s.peerAddrs(c.Peer)})
	if len(hs) > maxHints {
		hs = hs[:maxHints]
	}
	return hs, targets
}

// peerAddrs are the dial addresses this host knows for p (bounded as in
// an invitation).
func (s *Service) peerAddrs(p peer.ID) []ma.Multiaddr {
	var out []ma.Multiaddr
	for _, a := range s.env.Host.PeerAddrs(p) {
		if len(a.Bytes()) <= invite.MaxAddrBytes && len(out) < invite.MaxAddrs {
			out = append(out, a)
		}
	}
	return out
}
