package simnet

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// script interprets fuzz bytes as a sequence of transport and fault
// operations on a 4-node network. Each op reads its arguments from the
// following bytes; running out of bytes ends the script.
type script struct {
	b       []byte
	net     *Network
	nodes   []*Node
	streams []p2p.Stream
}

func (s *script) next() (byte, bool) {
	if len(s.b) == 0 {
		return 0, false
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c, true
}

func (s *script) node() *Node {
	c, _ := s.next()
	return s.nodes[int(c)%len(s.nodes)]
}

func (s *script) stream() p2p.Stream {
	c, _ := s.next()
	if len(s.streams) == 0 {
		return nil
	}
	return s.streams[int(c)%len(s.streams)]
}

// fuzzProtos mixes a large-cap and a small-cap protocol so oversize writes
// happen.
var fuzzProtos = []protocol.ID{testProto, protocols.Invite}

func (s *script) setup(nd *Node) {
	for _, p := range fuzzProtos {
		nd.Handle(p, func(st p2p.Stream) { perturb(); echoHandler(st) })
	}
	if sub, err := nd.Subscribe("f", rejectSome(nd.Self())); err == nil {
		go drainSub(sub)
	}
}

func (s *script) step(op byte) {
	ctx := context.Background()
	switch op % 10 {
	case 0:
		a, b := s.node(), s.node()
		c, _ := s.next()
		if st, err := a.Open(ctx, b.Self(), fuzzProtos[int(c)%2]); err == nil {
			go func() { _, _ = readerOf(st).Read(make([]byte, 1)) }()
			s.streams = append(s.streams, st)
		}
	case 1:
		c, _ := s.next()
		if st := s.stream(); st != nil {
			_ = st.WriteFrame(make([]byte, int(c)*64))
		}
	case 2:
		if st := s.stream(); st != nil {
			_ = st.CloseWrite()
		}
	case 3:
		if st := s.stream(); st != nil {
			_ = st.Reset()
		}
	case 4:
		c, _ := s.next()
		_ = s.node().Publish(ctx, "f", []byte{c})
	default:
		s.fault(op % 10)
	}
}

func (s *script) fault(op byte) {
	switch op {
	case 5:
		mask, _ := s.next()
		var g [2][]peer.ID
		for i, nd := range s.nodes {
			g[mask>>i&1] = append(g[mask>>i&1], nd.Self())
		}
		s.net.Partition(g[0], g[1])
	case 6:
		s.net.Heal()
	case 7:
		s.net.Crash(s.node().Self())
	case 8:
		nd := s.node()
		fresh := s.net.Restart(nd.Self())
		for i := range s.nodes {
			if s.nodes[i] == nd {
				s.nodes[i] = fresh
			}
		}
		s.setup(fresh)
	case 9:
		c, _ := s.next()
		s.net.Advance(time.Duration(c) * 100 * time.Microsecond)
	}
}

// runScript runs data as a script in a fresh bubble and returns the trace
// hash; it fails t if the network does not go quiet.
func runScript(t *testing.T, data []byte) (h [32]byte) {
	cfg := chaosConfig(int64(len(data)))
	if len(data) > 0 {
		cfg.DropRate = float64(data[0]%3) / 10
	}
	inBubble(t, cfg, func(t *testing.T, net *Network) {
		s := &script{b: data, net: net, nodes: net.AddNodes(4)}
		for _, nd := range s.nodes {
			s.setup(nd)
		}
		for op, ok := s.next(); ok; op, ok = s.next() {
			s.step(op)
		}
		if err := net.RunUntilQuiet(time.Hour); err != nil {
			t.Fatalf("script did not go quiet: %v", err)
		}
		h = net.TraceHash()
	})
	return h
}

// FuzzScript: any sequence of opens, writes (including oversize), closes,
// resets, publishes, partitions, crashes and restarts must not panic,
// must go quiet, and must replay to the same trace.
func FuzzScript(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 1, 5, 0, 4, 1, 9, 20})
	f.Add([]byte{1, 0, 0, 1, 0, 0, 1, 1, 0, 255, 2, 0, 9, 50})
	f.Add([]byte{2, 0, 1, 2, 1, 0, 200, 5, 3, 1, 0, 3, 7, 1, 9, 10, 8, 1, 0, 2, 1, 0, 9, 9})
	f.Add([]byte{3, 4, 0, 7, 4, 1, 9, 9, 4, 2, 3, 6, 4, 3, 1})
	f.Add([]byte{0, 1, 2, 1, 1, 0, 70, 3, 0, 1, 0, 1, 9, 5, 5, 6, 7, 2, 8, 2, 0, 2, 3, 0, 1, 1, 64})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 512 {
			data = data[:512]
		}
		if a, b := runScript(t, data), runScript(t, data); a != b {
			t.Fatalf("replay diverged: %x vs %x", a[:8], b[:8])
		}
	})
}

// TestSeedSweep runs seeded random scripts (the FuzzScript interpreter)
// twice each: every one must go quiet and replay to the same trace. 20
// seeds by default, 10^4 with AURA_LONG=1.
func TestSeedSweep(t *testing.T) {
	seeds := 20
	if os.Getenv("AURA_LONG") == "1" {
		seeds = 10000
	}
	for seed := range uint64(seeds) {
		data := genScript(rand.New(rand.NewPCG(seed, 0x5eed)), 120)
		if a, b := runScript(t, data), runScript(t, data); a != b {
			t.Fatalf("seed %d (script %x): replay diverged", seed, data)
		}
	}
}

// opWeights biases generated scripts towards traffic: opens, writes and
// publishes dominate; each fault op is rare.
var opWeights = [10]int{20, 40, 6, 3, 15, 2, 2, 1, 1, 10}

// opArgs is how many argument bytes each op consumes.
var opArgs = [10]int{3, 2, 1, 1, 2, 1, 0, 1, 1, 1}

// genScript returns a script of n ops with random arguments. The first
// byte is a Heal (op 6, no arguments) whose value also picks the drop rate.
func genScript(r *rand.Rand, n int) []byte {
	total := 0
	for _, w := range opWeights {
		total += w
	}
	data := []byte{byte(6 + 10*r.IntN(3))}
	for range n {
		x := r.IntN(total)
		op := 0
		for x >= opWeights[op] {
			x -= opWeights[op]
			op++
		}
		data = append(data, byte(op))
		for range opArgs[op] {
			data = append(data, byte(r.Uint32()))
		}
	}
	return data
}
