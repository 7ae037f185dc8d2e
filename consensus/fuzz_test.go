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
	for _, b := range paddedCommitFacts() {
		f.Add(b)
	}
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

// paddedCommitFacts are canonical Commit bodies with one uvarint (the op
// length, then the signer count) re-encoded non-minimally: same value,
// one byte longer.
func paddedCommitFacts() [][]byte {
	f := CommitFact{Op: []byte{7}, Scope: testNS, Signers: []uint16{1, 2, 3}, Path: 1}
	b := f.Canonical()
	opLen := 4*32 + 8 // the lp(Op) prefix follows CID, Pre, OpHash, RID, Nonce
	cnt := opLen + 1 + len(f.Op) + 1 + 16 + 8 + 2
	pad := func(at int) []byte {
		out := append([]byte(nil), b[:at]...)
		out = append(out, b[at]|0x80, 0x00)
		return append(out, b[at+1:]...)
	}
	return [][]byte{pad(opLen), pad(cnt)}
}

// TestDecodeCommitFactRejectsNonMinimal: a padded uvarint decodes to the
// same value but would not re-encode to the received bytes, so it is
// ErrMalformed (the canonical form is the only accepted form).
func TestDecodeCommitFactRejectsNonMinimal(t *testing.T) {
	canonical := (&CommitFact{Op: []byte{7}, Scope: testNS, Signers: []uint16{1, 2, 3}, Path: 1}).Canonical()
	if _, err := DecodeCommitFact(canonical); err != nil {
		t.Fatalf("canonical body refused: %v", err)
	}
	for i, b := range paddedCommitFacts() {
		if _, err := DecodeCommitFact(b); !errIs(err, ErrMalformed) {
			t.Errorf("padded body %d: err %v, want ErrMalformed", i, err)
		}
	}
}
