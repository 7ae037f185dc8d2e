package frostxtest

import (
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
)

// Keygen runs a t-of-n DKG among honest in-memory members (FIFO delivery,
// randomness from seed) and returns the committee config and each member's
// key share, index FrostID−1. The same seed gives the same keys.
func Keygen(t, n uint16, seed uint64) (frostx.Config, [][]byte, error) {
	parts, err := setup(t, n, seed)
	if err != nil {
		return frostx.Config{}, nil, err
	}
	if err := deliverAll(parts); err != nil {
		return frostx.Config{}, nil, err
	}
	shares := make([][]byte, n)
	var res dkg.Result
	for i, p := range parts {
		if res, err = p.Result(); err != nil {
			return frostx.Config{}, nil, fmt.Errorf("frostxtest: member %d: %w", i+1, err)
		}
		shares[i] = res.KeyShare
	}
	cfg := frostx.Config{Threshold: t, MaxSigners: n, GroupKey: res.GroupKey, VerShares: res.VerShares}
	return cfg, shares, nil
}

func setup(t, n uint16, seed uint64) ([]*dkg.Participant, error) {
	rnd := rand.NewChaCha8(seedOf(seed, 0))
	sess := dkg.Session{Namespace: []byte("frostxtest"), KeyEpoch: seed, Threshold: t}
	_, _ = rnd.Read(sess.Nonce[:])
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		var sd [32]byte
		_, _ = rnd.Read(sd[:])
		keys[i] = ed25519.NewKeyFromSeed(sd[:])
		sess.SignKeys = append(sess.SignKeys, [32]byte(keys[i].Public().(ed25519.PublicKey)))
	}
	parts := make([]*dkg.Participant, n)
	for i := range parts {
		p, err := dkg.NewParticipant(sess, uint16(i+1), keys[i], rand.NewChaCha8(seedOf(seed, byte(i+1))))
		if err != nil {
			return nil, fmt.Errorf("frostxtest: %w", err)
		}
		parts[i] = p
	}
	return parts, nil
}

type envelope struct {
	from uint16
	msg  dkg.Message
}

func deliverAll(parts []*dkg.Participant) error {
	var q []envelope
	for i, p := range parts {
		for _, m := range p.Start() {
			q = append(q, envelope{uint16(i + 1), m})
		}
	}
	for len(q) > 0 {
		e := q[0]
		q = q[1:]
		out, err := parts[e.msg.To-1].Handle(e.from, e.msg.Data)
		if err != nil {
			return fmt.Errorf("frostxtest: member %d: %w", e.msg.To, err)
		}
		for _, m := range out {
			q = append(q, envelope{e.msg.To, m})
		}
	}
	return nil
}

func seedOf(seed uint64, salt byte) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(seed >> (8 * i))
	}
	b[31] = salt
	return b
}

// Committee returns a t-of-n committee from Keygen and a fresh Signer per
// member (index FrostID−1). rec may be nil.
func Committee(tb testing.TB, t, n uint16, seed uint64, rec *frostx.NonceRecorder) (*frostx.Committee, []*frostx.Signer) {
	tb.Helper()
	cfg, shares, err := Keygen(t, n, seed)
	if err != nil {
		tb.Fatalf("Keygen: %v", err)
	}
	cfg.Recorder = rec
	c, err := frostx.NewCommittee(cfg)
	if err != nil {
		tb.Fatalf("NewCommittee: %v", err)
	}
	signers := make([]*frostx.Signer, n)
	for i, ks := range shares {
		if signers[i], err = frostx.NewSigner(c, ks); err != nil {
			tb.Fatalf("NewSigner %d: %v", i+1, err)
		}
	}
	return c, signers
}
