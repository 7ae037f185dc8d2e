package invite

import (
	"context"
	"io"
	"sync"
	"testing"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// fakeTransport captures the handler so a test can feed it streams whose
// reads fail the way a real transport's do (frames the simulator refuses
// to carry, such as an oversize one).
type fakeTransport struct {
	mu sync.Mutex
	h  map[protocol.ID]p2p.StreamHandler
}

func (f *fakeTransport) Self() peer.ID { return simnet.PeerID(0) }
func (f *fakeTransport) Open(context.Context, peer.ID, protocol.ID) (p2p.Stream, error) {
	return nil, p2p.ErrUnreachable
}
func (f *fakeTransport) Handle(p protocol.ID, h p2p.StreamHandler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.h[p] = h
}
func (f *fakeTransport) RemoveHandler(p protocol.ID)                   { f.mu.Lock(); delete(f.h, p); f.mu.Unlock() }
func (f *fakeTransport) Publish(context.Context, string, []byte) error { return p2p.ErrNotSubscribed }
func (f *fakeTransport) Subscribe(string, p2p.Validator) (p2p.Subscription, error) {
	return nil, p2p.ErrNotSubscribed
}

// fakeStream returns err from its first read and records resets and writes.
type fakeStream struct {
	err    error
	resets int
	writes int
}

func (s *fakeStream) ReadFrame() ([]byte, error) { return nil, s.err }
func (s *fakeStream) WriteFrame([]byte) error    { s.writes++; return nil }
func (s *fakeStream) CloseWrite() error          { return nil }
func (s *fakeStream) Close() error               { return nil }
func (s *fakeStream) Reset() error               { s.resets++; return nil }
func (s *fakeStream) RemotePeer() peer.ID        { return simnet.PeerID(1) }
func (s *fakeStream) Protocol() protocol.ID      { return protocols.Invite }

// TestHandlerTransportErrors: an oversize frame and a malformed prefix
// (reported by the transport's ReadFrame) reset the stream and cost a
// point; a plain EOF or reset is not misbehaviour.
func TestHandlerTransportErrors(t *testing.T) {
	ft := &fakeTransport{h: map[protocol.ID]p2p.StreamHandler{}}
	d := dssync.MutexWrap(ds.NewMapDatastore())
	snd, err := flow.New(ft, d, flow.NewStaticState(flow.Identity{}), flow.Config{})
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := OpenRegistry(context.Background(), d, RegistryConfig{})
	met, rep, j := newCountMetrics(), &countReporter{}, &fakeJoin{}
	svc, err := NewService(Config{Sender: snd, Registry: reg, OnJoin: j.OnJoin, Metrics: met, Reporter: rep})
	if err != nil {
		t.Fatal(err)
	}
	svc.Start()
	defer svc.Close()
	h := ft.h[protocols.Invite]
	cases := []struct {
		err  error
		kind string
	}{
		{protocols.ErrFrameTooLarge, KindOversize},
		{protocols.ErrBadFrame, KindUndecodable},
		{io.EOF, ""},
		{p2p.ErrStreamReset, ""},
	}
	for _, c := range cases {
		st := &fakeStream{err: c.err}
		h(st)
		if st.resets == 0 || st.writes != 0 {
			t.Fatalf("%v: resets %d writes %d, want a reset and no write", c.err, st.resets, st.writes)
		}
	}
	mis, _, _ := met.snapshot()
	if mis[KindOversize] != 1 || mis[KindUndecodable] != 1 || len(mis) != 2 || len(rep.list()) != 2 {
		t.Fatalf("misbehaviour %v reports %v", mis, rep.list())
	}
	if len(j.list()) != 0 {
		t.Fatal("OnJoin called")
	}
}
