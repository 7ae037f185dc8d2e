package consensus

import (
	"testing"
	"time"
)

// FuzzUnmarshal: any frame bytes decode to a typed message or
// ErrMalformed, never panic; accepted frames re-encode stably.
func FuzzUnmarshal(f *testing.F) {
	for _, m := range captureMessages(f) {
		b, _ := Marshal(m)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			if !errIs(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		b2, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Unmarshal(b2)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if b3, _ := Marshal(m2); string(b3) != string(b2) {
			t.Fatal("encoding not stable")
		}
	})
}

// FuzzDecodeCommitFact: canonical Commit bodies decode or fail with
// ErrMalformed; accepted bodies round-trip byte for byte.
func FuzzDecodeCommitFact(f *testing.F) {
	f.Add((&CommitFact{Op: []byte{1}, Scope: testNS, Signers: []uint16{1, 2, 3}, Path: 1}).Canonical())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommitFact(b)
		if err != nil {
			if !errIs(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if string(c.Canonical()) != string(b) {
			t.Fatal("round trip differs")
		}
	})
}

// FuzzStep: a node fed arbitrary decoded frames from a member never
// panics and stores nothing that fails verification.
func FuzzStep(f *testing.F) {
	for _, m := range captureMessages(f) {
		b, _ := Marshal(m)
		f.Add(b, uint8(1))
	}
	f.Fuzz(func(t *testing.T, b []byte, from uint8) {
		m, err := Unmarshal(b)
		if err != nil {
			return
		}
		c := newCluster(t, 3, 5, 1)
		nd := c.nodes[0]
		_ = nd.Step(witness(1+int(from)%4), m, epoch0)
		nd.Tick(epoch0.Add(time.Minute))
		for _, f := range nd.Ready().Commits {
			if err := VerifyCommit(&f, c.scopes[0]); err != nil {
				t.Fatalf("stored an invalid commit: %v", err)
			}
		}
	})
}
