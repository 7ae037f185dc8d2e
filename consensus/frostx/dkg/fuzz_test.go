package dkg

import (
	"bytes"
	"testing"
)

func fuzzSeeds(f *testing.F) (r1, r2, c []byte) {
	sess, keys := testSession(2, 3, 21)
	s := newSim(f, sess, keys, 21)
	r1 = s.parts[0].Start()[0].Data
	s.intercept = func(e env) []env {
		switch e.data[0] {
		case KindRound2:
			r2 = e.data
		case KindConfirm:
			c = e.data
		}
		return []env{e}
	}
	s.run(f, false)
	return r1, r2, c
}

// FuzzDecode: the three decoders never panic, and an accepted encoding
// re-encodes to the same bytes (canonical).
func FuzzDecode(f *testing.F) {
	r1, r2, c := fuzzSeeds(f)
	for _, b := range [][]byte{r1, r2, c, {1}, {2}, {3}, {1, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := DecodeRound1(b); err == nil && !bytes.Equal(m.Encode(), b) {
			t.Fatal("round 1 round trip")
		}
		if m, err := DecodeRound2(b); err == nil && !bytes.Equal(m.Encode(), b) {
			t.Fatal("round 2 round trip")
		}
		if m, err := DecodeConfirm(b); err == nil && !bytes.Equal(m.Encode(), b) {
			t.Fatal("confirm round trip")
		}
	})
}

// FuzzHandle: arbitrary input from any sender never panics a participant;
// it is rejected as ErrBadMessage or aborts with a typed error.
func FuzzHandle(f *testing.F) {
	r1, r2, c := fuzzSeeds(f)
	f.Add(uint16(2), r1)
	f.Add(uint16(2), r2)
	f.Add(uint16(3), c)
	sess, keys := testSession(2, 3, 21)
	f.Fuzz(func(t *testing.T, from uint16, b []byte) {
		p, err := NewParticipant(sess, 1, keys[0], seededReader(5))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = p.Handle(from, b)
		_, _ = p.Handle(from, b)
	})
}

// FuzzRecompute: arbitrary round-1 lists never panic the pure validator.
func FuzzRecompute(f *testing.F) {
	r1, _, _ := fuzzSeeds(f)
	f.Add(r1, r1, r1)
	sess, _ := testSession(2, 3, 21)
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		_, _ = Recompute(sess, [][]byte{a, b, c})
	})
}
