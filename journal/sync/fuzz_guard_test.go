package sync

import (
	"context"
	"errors"
	gosync "sync"
	"testing"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// nullTransport opens nullStreams that count writes and resets.
type nullTransport struct {
	self peer.ID
	last *nullStream // the stream Open returned last (one fuzz goroutine)
}

func (t *nullTransport) Self() peer.ID { return t.self }
func (t *nullTransport) Open(_ context.Context, p peer.ID, pr protocol.ID) (p2p.Stream, error) {
	t.last = &nullStream{remote: p, proto: pr}
	return t.last, nil
}
func (*nullTransport) Handle(protocol.ID, p2p.StreamHandler)         {}
func (*nullTransport) RemoveHandler(protocol.ID)                     {}
func (*nullTransport) Publish(context.Context, string, []byte) error { return nil }
func (*nullTransport) Subscribe(string, p2p.Validator) (p2p.Subscription, error) {
	return nil, p2p.ErrNotSubscribed
}

type nullStream struct {
	mu            gosync.Mutex
	writes, reset int
	remote        peer.ID
	proto         protocol.ID
}

func (s *nullStream) ReadFrame() ([]byte, error) { return nil, p2p.ErrStreamReset }
func (s *nullStream) WriteFrame([]byte) error {
	s.mu.Lock()
	s.writes++
	s.mu.Unlock()
	return nil
}
func (s *nullStream) CloseWrite() error     { return nil }
func (s *nullStream) Close() error          { return nil }
func (s *nullStream) Reset() error          { s.mu.Lock(); s.reset++; s.mu.Unlock(); return nil }
func (s *nullStream) RemotePeer() peer.ID   { return s.remote }
func (s *nullStream) Protocol() protocol.ID { return s.proto }

// FuzzGuardAdmit feeds arbitrary received frames, and arbitrary box
// receipts, to both sides' guarded receive path (SPEC §6.6 through
// sessionGuard): it never panics, never writes, and every error wraps a
// sentinel (ErrDenied for receipt refusals, ErrNotMember for a HelloAck
// from another authority). credit's top bit selects an authority-namespace
// session (no receipts: any receipt or token is refused).
func FuzzGuardAdmit(f *testing.F) {
	fx := journaltest.NewStaticContext("fuzz-guard", 2)
	good, _ := EncodeFrame(Want{IDs: nil, Receipt: make([]byte, receipt.Size)})
	f.Add(good, []byte{}, false, uint32(256))
	f.Add([]byte{0x42, 0x00}, make([]byte, receipt.Size), true, uint32(0))
	sym, _ := EncodeFrame(Symbols{First: 3, Receipt: make([]byte, receipt.Size)})
	f.Add(sym, []byte{1, 2, 3}, true, uint32(2))
	f.Add(good, []byte{}, false, uint32(1<<31))
	end, _ := EncodeFrame(End{})
	f.Add(end, []byte{}, true, uint32(1<<31|5))
	var d ds.Batching = dssync.MutexWrap(ds.NewMapDatastore())
	tr := &nullTransport{self: "fuzz-self"}
	snd, err := flow.New(tr, d, senderState(fx, fx.Founders[0], bigLimit), flow.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, frame, rcpt []byte, initiator bool, credit uint32) {
		st, err := snd.Open(context.Background(), "fuzz-peer", protocols.Sync)
		if err != nil {
			t.Fatal(err)
		}
		g := &sessionGuard{snd: snd, st: st, ctx: context.Background(), cid: fx.ID,
			peer: fx.Founders[1].Authority, initiator: initiator, mode: ModeReconcile, helloLen: len(frame),
			authority: credit&(1<<31) != 0}
		credit &^= 1 << 31
		if fr, err := DecodeFrame(frame); err == nil {
			if err := g.admitFrame(fr, uint64(credit)); err != nil && !errors.Is(err, ErrDenied) && !errors.Is(err, ErrBadFrame) {
				t.Fatalf("admitFrame: untyped error %v", err)
			}
		}
		var author [16]byte
		copy(author[:], rcpt)
		if err := g.Admit(author, ModeReconcile, Token{}, rcpt, [32]byte{}); err != nil &&
			!errors.Is(err, ErrDenied) && !errors.Is(err, ErrNotMember) {
			t.Fatalf("Admit: untyped error %v", err)
		}
		g.release()
		if tr.last.writes != 0 {
			t.Fatalf("the receive path wrote %d frames", tr.last.writes)
		}
	})
}
