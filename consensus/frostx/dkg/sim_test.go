package dkg

import (
	"crypto/ed25519"
	"errors"
	"math/rand/v2"
	"testing"
)

// testSession builds a t-of-n session with deterministic sign keys.
func testSession(t, n uint16, seed uint64) (Session, []ed25519.PrivateKey) {
	r := rand.NewChaCha8(seedBytes(seed, 1))
	s := Session{Namespace: []byte{1, 0xaa}, KeyEpoch: 7, Threshold: t}
	_, _ = r.Read(s.Nonce[:])
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		var sd [32]byte
		_, _ = r.Read(sd[:])
		keys[i] = ed25519.NewKeyFromSeed(sd[:])
		s.SignKeys = append(s.SignKeys, [32]byte(keys[i].Public().(ed25519.PublicKey)))
	}
	return s, keys
}

func seedBytes(seed uint64, salt byte) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(seed >> (8 * i))
	}
	b[31] = salt
	return b
}

type env struct {
	from, to uint16
	data     []byte
	tag      int // test-defined marker (e.g. which instance of a Byzantine member)
}

// sim delivers queued messages in a seeded random order until quiet.
type sim struct {
	parts     []*Participant // by FrostID−1
	q         []env
	rng       *rand.Rand
	intercept func(e env) []env // nil: deliver unchanged
}

func newSim(tb testing.TB, sess Session, keys []ed25519.PrivateKey, seed uint64) *sim {
	tb.Helper()
	s := &sim{rng: rand.New(rand.NewChaCha8(seedBytes(seed, 2)))}
	for i, k := range keys {
		p, err := NewParticipant(sess, uint16(i+1), k, rand.NewChaCha8(seedBytes(seed, byte(10+i))))
		if err != nil {
			tb.Fatalf("NewParticipant %d: %v", i+1, err)
		}
		s.parts = append(s.parts, p)
	}
	for i, p := range s.parts {
		s.send(uint16(i+1), p.Start())
	}
	return s
}

func (s *sim) send(from uint16, msgs []Message) {
	for _, m := range msgs {
		s.q = append(s.q, env{from: from, to: m.To, data: m.Data})
	}
}

// run delivers until the queue is empty. A BadMessage error is a test bug
// unless allowBad; aborts are left in each participant's Err.
func (s *sim) run(tb testing.TB, allowBad bool) {
	tb.Helper()
	for steps := 0; len(s.q) > 0; steps++ {
		if steps > 100000 {
			tb.Fatal("simulation does not quiesce")
		}
		i := s.rng.IntN(len(s.q))
		e := s.q[i]
		s.q[i] = s.q[len(s.q)-1]
		s.q = s.q[:len(s.q)-1]
		for _, d := range s.deliverable(e) {
			s.deliver(tb, d, allowBad)
		}
	}
}

func (s *sim) deliverable(e env) []env {
	if s.intercept == nil {
		return []env{e}
	}
	return s.intercept(e)
}

func (s *sim) deliver(tb testing.TB, e env, allowBad bool) {
	p := s.parts[e.to-1]
	out, err := p.Handle(e.from, e.data)
	if errors.Is(err, ErrBadMessage) && !allowBad {
		tb.Fatalf("member %d rejected a message from %d: %v", e.to, e.from, err)
	}
	s.send(e.to, out)
}

func (s *sim) results(tb testing.TB) []Result {
	tb.Helper()
	out := make([]Result, len(s.parts))
	for i, p := range s.parts {
		r, err := p.Result()
		if err != nil {
			tb.Fatalf("member %d: %v", i+1, err)
		}
		out[i] = r
	}
	return out
}

// resign re-signs a message body with the sender's key after a test
// mutated it, so only the intended check can fail.
func resign1(m *Round1, k ed25519.PrivateKey) []byte {
	m.Sig = sign(k, m.body())
	return m.Encode()
}

func resign2(m *Round2, k ed25519.PrivateKey) []byte {
	m.Sig = sign(k, m.body())
	return m.Encode()
}
