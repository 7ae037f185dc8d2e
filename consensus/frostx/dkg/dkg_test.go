package dkg

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/internal/canon"
)

func rotationOf(sess Session, r Result) Rotation {
	return Rotation{Session: sess, GroupKey: r.GroupKey, VerShares: r.VerShares, Round1: r.Round1,
		TranscriptHash: r.TranscriptHash, Confirms: r.Confirms}
}

// TestDKGThenSign is SPEC §16.31 (positive part): a 3-of-5 DKG over a
// random delivery order, then FROST signing of T by members 1, 3, 5;
// frostx.Verify and crypto/ed25519.Verify accept; every VerShare recomputes
// from the round-1 data. Seeds: 3 (100 with AURA_LONG=1).
func TestDKGThenSign(t *testing.T) {
	seeds := uint64(3)
	if os.Getenv("AURA_LONG") == "1" {
		seeds = 100
	}
	for seed := range seeds {
		sess, keys := testSession(3, 5, seed)
		s := newSim(t, sess, keys, seed)
		s.run(t, false)
		res := s.results(t)
		checkAgreement(t, sess, res)
		signAndVerify(t, res, []int{0, 2, 4}, seed)
	}
}

func checkAgreement(t *testing.T, sess Session, res []Result) {
	t.Helper()
	if err := ValidateRotation(rotationOf(sess, res[0])); err != nil {
		t.Fatalf("ValidateRotation: %v", err)
	}
	pub, err := Recompute(sess, res[0].Round1)
	if err != nil {
		t.Fatalf("Recompute: %v", err)
	}
	for i, r := range res {
		if r.GroupKey != pub.GroupKey || !maps.Equal(r.VerShares, pub.VerShares) || r.TranscriptHash != pub.TranscriptHash {
			t.Fatalf("member %d disagrees with the recomputation from round 1", i+1)
		}
		if !equalRotation(rotationOf(sess, r), rotationOf(sess, res[0])) {
			t.Fatalf("member %d: rotation data differs from member 1", i+1)
		}
		if len(r.VerShares) != len(res) || r.Self != uint16(i+1) {
			t.Fatalf("member %d: bad result shape", i+1)
		}
	}
}

func signAndVerify(t *testing.T, res []Result, who []int, seed uint64) {
	t.Helper()
	c, err := frostx.NewCommittee(frostx.Config{Threshold: 3, MaxSigners: uint16(len(res)), GroupKey: res[0].GroupKey, VerShares: res[0].VerShares})
	if err != nil {
		t.Fatalf("NewCommittee: %v", err)
	}
	var e canon.Encoder
	T := canon.H("aura/consensus-commit/v1", e.U64(seed).Bytes())
	signers := make([]*frostx.Signer, len(who))
	pkg := make([]frostx.Commitment, len(who))
	for k, i := range who {
		// NewSigner checks s_ℓ·G == VerShare_ℓ and the group key.
		if signers[k], err = frostx.NewSigner(c, res[i].KeyShare); err != nil {
			t.Fatalf("NewSigner %d: %v", i+1, err)
		}
		if pkg[k], err = signers[k].Commit(); err != nil {
			t.Fatal(err)
		}
	}
	shares := make([]frostx.Share, len(who))
	for k, s := range signers {
		if shares[k], err = s.Sign(T[:], pkg); err != nil {
			t.Fatalf("Sign: %v", err)
		}
	}
	sig, err := c.Aggregate(T[:], shares, pkg)
	if err != nil {
		t.Fatalf("Aggregate: %v", err)
	}
	if err := frostx.Verify(res[0].GroupKey, T[:], sig); err != nil {
		t.Fatalf("frostx.Verify: %v", err)
	}
	if !ed25519.Verify(res[0].GroupKey[:], T[:], sig[:]) {
		t.Fatal("crypto/ed25519.Verify rejects the DKG key's signature")
	}
}

// TestDKGBadProof: a bad round-1 message from member 2 makes every honest
// receiver abort with ErrDKGBadProof (errors.Is ErrDKGInconsistent) naming 2.
func TestDKGBadProof(t *testing.T) {
	cases := map[string]func(m *Round1){
		"mu":          func(m *Round1) { m.Mu[0] ^= 1 },
		"short C":     func(m *Round1) { m.C = m.C[:len(m.C)-1] },
		"long C":      func(m *Round1) { m.C = append(m.C, m.C[0]) },
		"torsion C1":  func(m *Round1) { m.C[1] = addOrder2(t, m.C[1]) },
		"torsion C0":  func(m *Round1) { m.C[0] = addOrder2(t, m.C[0]) },
		"identity C2": func(m *Round1) { m.C[2] = [32]byte{1} },
		"other R":     func(m *Round1) { m.R = m.C[1] },
		"swap C":      func(m *Round1) { m.C[0], m.C[1] = m.C[1], m.C[0] },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			sess, keys := testSession(3, 5, 1)
			s := newSim(t, sess, keys, 1)
			s.intercept = func(e env) []env {
				if e.from == 2 && e.data[0] == KindRound1 {
					m, _ := DecodeRound1(e.data)
					mutate(&m)
					e.data = resign1(&m, keys[1])
				}
				return []env{e}
			}
			s.run(t, false)
			expectCulprit(t, s, 2, ErrDKGBadProof, 2)
		})
	}
	t.Run("signature", func(t *testing.T) {
		sess, keys := testSession(3, 5, 1)
		s := newSim(t, sess, keys, 1)
		s.intercept = func(e env) []env {
			if e.from == 2 && e.data[0] == KindRound1 {
				e.data = append([]byte(nil), e.data...)
				e.data[len(e.data)-1] ^= 1
			}
			return []env{e}
		}
		s.run(t, false)
		expectCulprit(t, s, 2, ErrDKGBadProof, 2)
	})
}

// expectCulprit checks every member other than skip aborted with want,
// naming culprit.
func expectCulprit(t *testing.T, s *sim, culprit uint16, want error, skip uint16) {
	t.Helper()
	for i, p := range s.parts {
		if uint16(i+1) == skip {
			continue
		}
		err := p.Err()
		var ce *CulpritError
		if !errors.Is(err, want) || !errors.Is(err, ErrDKGInconsistent) || !errors.As(err, &ce) || ce.Culprit != culprit {
			t.Fatalf("member %d: err %v, want %v naming %d", i+1, err, want, culprit)
		}
		if p.Done() {
			t.Fatalf("member %d completed", i+1)
		}
	}
}

// TestDKGBadRound2Share: member 4 sends member 1 a share off its
// commitment ⇒ member 1 aborts with ErrDKGInconsistent (not BadProof)
// naming 4; nobody completes.
func TestDKGBadRound2Share(t *testing.T) {
	sess, keys := testSession(3, 5, 2)
	s := newSim(t, sess, keys, 2)
	s.intercept = func(e env) []env {
		if e.from == 4 && e.to == 1 && e.data[0] == KindRound2 {
			m, _ := DecodeRound2(e.data)
			sc := g.NewScalar()
			_ = sc.Decode(m.Share[:])
			m.Share = [32]byte(sc.Add(g.NewScalar().One()).Encode())
			e.data = resign2(&m, keys[3])
		}
		return []env{e}
	}
	s.run(t, false)
	err := s.parts[0].Err()
	var ce *CulpritError
	if !errors.Is(err, ErrDKGInconsistent) || errors.Is(err, ErrDKGBadProof) || !errors.As(err, &ce) || ce.Culprit != 4 {
		t.Fatalf("member 1: %v", err)
	}
	for i, p := range s.parts {
		if p.Done() {
			t.Fatalf("member %d completed although member 1 aborted", i+1)
		}
	}
}

// TestDKGEquivocatingRound1: member 3 sends one round-1 message (and
// matching round-2 shares) to members 1, 2 and another to 4, 5. Every local
// check passes, the transcripts differ, and every honest member aborts
// with ErrDKGInconsistent at the confirm step.
func TestDKGEquivocatingRound1(t *testing.T) {
	sess, keys := testSession(3, 5, 3)
	s := newSim(t, sess, keys, 3)
	twin, err := NewParticipant(sess, 3, keys[2], seededReader(99))
	if err != nil {
		t.Fatal(err)
	}
	groupA := func(id uint16) bool { return id <= 2 }
	// Member 3's instance in s.parts talks to {1,2}; twin talks to {4,5}.
	s.q = filterFrom3(s.q, groupA, true)
	fromTwin := func(msgs []Message) {
		for _, m := range msgs {
			if !groupA(m.To) {
				s.q = append(s.q, env{from: 3, to: m.To, data: m.Data, tag: 1})
			}
		}
	}
	fromTwin(twin.Start())
	s.intercept = func(e env) []env {
		if e.to == 3 {
			out, _ := twin.Handle(e.from, e.data)
			fromTwin(out)
			return []env{e}
		}
		if e.from == 3 && e.tag == 0 && !groupA(e.to) {
			return nil // the first instance's messages to 4, 5 are dropped
		}
		return []env{e}
	}
	s.run(t, false)
	for _, id := range []int{1, 2, 4, 5} {
		p := s.parts[id-1]
		var ce *CulpritError
		if p.Done() || !errors.As(p.Err(), &ce) || !errors.Is(p.Err(), ErrDKGInconsistent) ||
			!strings.Contains(ce.Reason, "transcript hash differs") {
			t.Fatalf("member %d: done=%v err=%v", id, p.Done(), p.Err())
		}
	}
}

func filterFrom3(q []env, keep func(uint16) bool, _ bool) []env {
	out := q[:0]
	for _, e := range q {
		if e.from != 3 || keep(e.to) {
			out = append(out, e)
		}
	}
	return out
}

// TestDKGTimeoutNamesSilent: member 5 never sends; the others stall in
// round 1 and Timeout names exactly member 5.
func TestDKGTimeoutNamesSilent(t *testing.T) {
	sess, keys := testSession(3, 5, 4)
	s := newSim(t, sess, keys, 4)
	s.intercept = func(e env) []env {
		if e.from == 5 {
			return nil
		}
		return []env{e}
	}
	s.run(t, false)
	for i, p := range s.parts[:4] {
		if p.Done() || p.Err() != nil {
			t.Fatalf("member %d: done=%v err=%v", i+1, p.Done(), p.Err())
		}
		err := p.Timeout()
		var te *TimeoutError
		if !errors.Is(err, ErrDKGTimeout) || !errors.As(err, &te) || len(te.Missing) != 1 || te.Missing[0] != 5 {
			t.Fatalf("member %d: Timeout = %v", i+1, err)
		}
		if _, err := p.Handle(1, []byte{KindRound1}); !errors.Is(err, ErrDKGTimeout) {
			t.Fatalf("member %d: aborted participant accepted input: %v", i+1, err)
		}
	}
}

// TestDKGBadMessagesDoNotAbort: garbage, wrong session, wrong sender and
// duplicates are rejected (or ignored) without aborting; the DKG completes.
func TestDKGBadMessagesDoNotAbort(t *testing.T) {
	sess, keys := testSession(2, 3, 5)
	s := newSim(t, sess, keys, 5)
	other, okeys := testSession(2, 3, 6)
	stranger, _ := NewParticipant(other, 2, okeys[1], seededReader(1))
	p := s.parts[0]
	bad := map[string]struct {
		from uint16
		data []byte
	}{
		"empty":         {2, nil},
		"unknown kind":  {2, []byte{9, 1, 2}},
		"truncated":     {2, s.parts[1].Start()[0].Data[:40]},
		"trailing":      {2, append(append([]byte(nil), s.parts[1].Start()[0].Data...), 0)},
		"other session": {2, stranger.Start()[0].Data},
		"wrong sender":  {3, s.parts[1].Start()[0].Data},
		"self":          {1, s.parts[1].Start()[0].Data},
		"out of range":  {4, s.parts[1].Start()[0].Data},
	}
	for name, b := range bad {
		if _, err := p.Handle(b.from, b.data); !errors.Is(err, ErrBadMessage) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Deliver everything twice.
	s.intercept = func(e env) []env { return []env{e, e} }
	s.run(t, false)
	s.results(t)
}

func TestSessionValidate(t *testing.T) {
	good, keys := testSession(2, 3, 7)
	cases := map[string]func(s *Session){
		"t=1":           func(s *Session) { s.Threshold = 1 },
		"t>n":           func(s *Session) { s.Threshold = 4 },
		"no namespace":  func(s *Session) { s.Namespace = nil },
		"duplicate key": func(s *Session) { s.SignKeys = [][32]byte{s.SignKeys[0], s.SignKeys[0], s.SignKeys[2]} },
	}
	for name, f := range cases {
		s := good
		f(&s)
		if err := s.Validate(); !errors.Is(err, ErrSession) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewParticipant(good, 1, keys[1], seededReader(1)); !errors.Is(err, ErrSession) {
		t.Errorf("wrong key accepted: %v", err)
	}
	if _, err := NewParticipant(good, 4, keys[0], seededReader(1)); !errors.Is(err, ErrSession) {
		t.Errorf("self out of range accepted: %v", err)
	}
	s2 := good
	s2.KeyEpoch++
	if s2.SID() == good.SID() {
		t.Error("sid ignores KeyEpoch")
	}
	p, err := NewParticipant(good, 1, keys[0], seededReader(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Result(); !errors.Is(err, ErrNotDone) || p.Done() {
		t.Errorf("Result before completion: %v, want ErrNotDone", err)
	}
}

func equalRotation(a, b Rotation) bool {
	if a.GroupKey != b.GroupKey || a.TranscriptHash != b.TranscriptHash || !maps.Equal(a.VerShares, b.VerShares) ||
		len(a.Round1) != len(b.Round1) || !slices.Equal(a.Confirms, b.Confirms) {
		return false
	}
	for i := range a.Round1 {
		if !bytes.Equal(a.Round1[i], b.Round1[i]) {
			return false
		}
	}
	return true
}
