package devnet

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aura-p2p/aura-p2p/p2p"
)

// GossipTopic is the devnet's own topic (not a neighbourhood topic).
const GossipTopic = "/aura/devnet/1/gossip"

// meshPoll is how often GossipStep checks the peers' meshes.
const meshPoll = 50 * time.Millisecond

// meshTarget is the mesh size GossipStep waits for, at most meshGrace,
// before publishing (capped at N−1): with it delivery is mostly by mesh
// push rather than heartbeat-paced IHAVE/IWANT, which is what the latency
// should measure. It is not required: PRUNE backoff can keep a peer below
// it for a minute. One mesh peer each is required.
const (
	meshTarget = 4
	meshGrace  = 5 * time.Second
)

// gossipMsg is the devnet message: run nonce, sender index, send time.
type gossipMsg struct {
	nonce  [8]byte
	from   uint32
	sentNs int64
}

const gossipMsgLen = 8 + 4 + 8

func (m gossipMsg) encode() []byte {
	b := make([]byte, 0, gossipMsgLen)
	b = append(b, m.nonce[:]...)
	b = binary.BigEndian.AppendUint32(b, m.from)
	return binary.BigEndian.AppendUint64(b, uint64(m.sentNs))
}

func decodeGossip(b []byte) (gossipMsg, bool) {
	if len(b) != gossipMsgLen {
		return gossipMsg{}, false
	}
	var m gossipMsg
	copy(m.nonce[:], b[:8])
	m.from = binary.BigEndian.Uint32(b[8:12])
	m.sentNs = int64(binary.BigEndian.Uint64(b[12:]))
	return m, true
}

// GossipStep subscribes every node to GossipTopic, waits until every peer
// has a GossipSub mesh, lets every peer publish one message and checks
// that every peer receives the N−1 messages of the others. It notes the
// p50/p99 publish→deliver latency.
func GossipStep(ctx context.Context, d *Devnet) error {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	subs, err := subscribeAll(d)
	defer func() {
		for _, s := range subs {
			s.Cancel()
		}
	}()
	if err != nil {
		return err
	}
	if err := waitMeshes(ctx, d, 1); err != nil {
		return err
	}
	gctx, cancel := context.WithTimeout(ctx, meshGrace)
	if err := waitMeshes(gctx, d, min(meshTarget, d.N()-1)); err != nil {
		d.Printf("gossip: publishing anyway: %v", err)
	}
	cancel()
	results := make(chan recvResult, len(d.Peers))
	for i := range d.Peers {
		go func() { results <- receive(ctx, subs[i+1], nonce, uint32(i), d.N()) }()
	}
	go drain(ctx, subs[0]) // the bootstrap node only relays
	if err := publishAll(ctx, d, nonce); err != nil {
		return err
	}
	return collectGossip(d, results)
}

// subscribeAll subscribes the bootstrap node (index 0) and every peer.
func subscribeAll(d *Devnet) ([]p2p.Subscription, error) {
	subs := make([]p2p.Subscription, 0, d.N()+1)
	for _, p := range append([]*Peer{d.Boot}, d.Peers...) {
		s, err := p.Host.Subscribe(GossipTopic, nil)
		if err != nil {
			return subs, fmt.Errorf("%s: subscribe: %w", p.Name, err)
		}
		subs = append(subs, s)
	}
	return subs, nil
}

// waitMeshes waits until every peer has at least want mesh peers on
// GossipTopic (GossipSub grafts on its heartbeat), or ctx ends.
func waitMeshes(ctx context.Context, d *Devnet, want int) error {
	tick := time.NewTicker(meshPoll)
	defer tick.Stop()
	start := time.Now()
	for {
		missing := 0
		for _, p := range d.Peers {
			if p.Host.MeshSize(GossipTopic) < want {
				missing++
			}
		}
		if missing == 0 {
			d.Printf("gossip: every peer has >= %d mesh peers after %s", want, round(time.Since(start)))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d peers have < %d mesh peers on %s: %w", missing, d.N(), want, GossipTopic, ctx.Err())
		case <-tick.C:
		}
	}
}

func publishAll(ctx context.Context, d *Devnet, nonce [8]byte) error {
	start := time.Now()
	defer func() { d.Printf("gossip: %d peers published in %s", d.N(), round(time.Since(start))) }()
	for i, p := range d.Peers {
		m := gossipMsg{nonce: nonce, from: uint32(i), sentNs: time.Now().UnixNano()}
		if err := p.Host.Publish(ctx, GossipTopic, m.encode()); err != nil {
			return fmt.Errorf("%s: publish: %w", p.Name, err)
		}
	}
	return nil
}

type recvResult struct {
	self      uint32
	got       int
	latencies []time.Duration
	err       error
}

// receive reads sub until the messages of all n−1 other peers arrived.
func receive(ctx context.Context, sub p2p.Subscription, nonce [8]byte, self uint32, n int) recvResult {
	r := recvResult{self: self}
	seen := make(map[uint32]bool, n)
	for r.got < n-1 {
		m, err := sub.Next(ctx)
		if err != nil {
			r.err = err
			return r
		}
		g, ok := decodeGossip(m.Data)
		if !ok || g.nonce != nonce || g.from == self || int(g.from) >= n || seen[g.from] {
			continue
		}
		seen[g.from] = true
		r.got++
		r.latencies = append(r.latencies, time.Since(time.Unix(0, g.sentNs)))
	}
	return r
}

func drain(ctx context.Context, sub p2p.Subscription) {
	for {
		if _, err := sub.Next(ctx); err != nil {
			return
		}
	}
}

func collectGossip(d *Devnet, results <-chan recvResult) error {
	var lat []time.Duration
	var errs []error
	for range d.Peers {
		r := <-results
		lat = append(lat, r.latencies...)
		if r.err != nil {
			errs = append(errs, fmt.Errorf("%s received %d/%d: %w", d.Peers[r.self].Name, r.got, d.N()-1, r.err))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	want := d.N() * (d.N() - 1)
	d.Printf("gossip: %d/%d deliveries; latency p50 %s, p99 %s", len(lat), want,
		round(percentile(lat, 50)), round(percentile(lat, 99)))
	d.Note("gossip: %d/%d deliveries; publish→deliver latency p50 %s, p99 %s", len(lat), want,
		round(percentile(lat, 50)), round(percentile(lat, 99)))
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d peers missed messages: %w", len(errs), d.N(), errors.Join(errs...))
	}
	return nil
}
