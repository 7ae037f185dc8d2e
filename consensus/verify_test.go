package consensus

import (
	"testing"
	"time"
)

// commitOnce runs one fast-path instance and returns its commit.
func commitOnce(t *testing.T, ks *keyset, seed uint64) (*cluster, CommitFact) {
	t.Helper()
	c := newClusterKeys(t, ks, seed)
	cid := c.propose(0, opAdd(4))
	c.waitCommit(t, cid, []int{0}, time.Second)
	return c, c.commitsOf(0, cid)[0]
}

// TestForgedCommitsRejected is SPEC §16.8: wrong key, < t signers,
// duplicate signers, key taken from elsewhere than the reduced state, and
// broken bindings are rejected with typed errors.
func TestForgedCommitsRejected(t *testing.T) {
	ks := keysFor(t, 3, 5)
	c, good := commitOnce(t, ks, 10)
	sc := c.scopes[1]
	if err := VerifyCommit(&good, sc); err != nil {
		t.Fatalf("valid commit refused: %v", err)
	}
	// A commit made by another committee (an attacker's key) over the same
	// scope and prestate: the fact carries no key, so only the reduced
	// state's key is used and the signature fails.
	other := keysForSeed(t, 3, 5, 99)
	_, alien := commitOnce(t, other, 11)
	attackerScope := &counterScope{com: other.com}
	if err := VerifyCommit(&alien, attackerScope); err != nil {
		t.Fatalf("alien commit should verify under its own key: %v", err)
	}
	mut := func(f func(*CommitFact)) *CommitFact {
		x := good
		x.Signers = append([]uint16(nil), good.Signers...)
		f(&x)
		return &x
	}
	cases := []struct {
		name string
		f    *CommitFact
		want error
	}{
		{"wrong key (other committee)", &alien, ErrCommitSignature},
		{"fewer than t signers", mut(func(x *CommitFact) { x.Signers = x.Signers[:2] }), ErrCommitSigners},
		{"duplicate signers", mut(func(x *CommitFact) { x.Signers = []uint16{1, 1, 2} }), ErrCommitSigners},
		{"unsorted signers", mut(func(x *CommitFact) { x.Signers = []uint16{3, 1, 2} }), ErrCommitSigners},
		{"non-member signer", mut(func(x *CommitFact) { x.Signers = []uint16{1, 2, 9} }), ErrCommitSigners},
		{"tampered signature", mut(func(x *CommitFact) { x.Signature[40] ^= 1 }), ErrCommitSignature},
		{"wrong key epoch", mut(func(x *CommitFact) { x.KeyEpoch++ }), ErrCommitKey},
		{"wrong threshold", mut(func(x *CommitFact) { x.Threshold = 2 }), ErrCommitKey},
		{"other rid", mut(func(x *CommitFact) { x.RID[0] ^= 1 }), ErrCommitBinding},
		{"other op", mut(func(x *CommitFact) { x.Op = opAdd(5) }), ErrCommitBinding},
		{"other nonce", mut(func(x *CommitFact) { x.Nonce++ }), ErrCommitBinding},
		{"other prestate", mut(func(x *CommitFact) { x.PrestateHash[0] ^= 1 }), ErrCommitScope},
		{"other scope", mut(func(x *CommitFact) { x.Scope.ID[0] ^= 1 }), ErrCommitScope},
		{"bad path", mut(func(x *CommitFact) { x.Path = 4 }), ErrCommitPath},
	}
	for _, tc := range cases {
		err := VerifyCommit(tc.f, sc)
		if !errIs(err, tc.want) || !errIs(err, ErrInvalidCommit) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// A replica receiving the forged Commit message does not store it.
	nd := c.nodes[2]
	before := len(c.stores[2].commits)
	_ = nd.Step(witness(3), &Commit{Fact: alien}, c.now)
	c.flush(2)
	if len(c.stores[2].commits) != before {
		t.Fatal("forged commit stored")
	}
}

// TestCommitFactEncoding: the canonical body round-trips, its prefix is
// the journal identity (cid, prestate, rid), and the fact decodes back.
func TestCommitFactEncoding(t *testing.T) {
	_, f := commitOnce(t, keysFor(t, 3, 5), 12)
	got, err := DecodeCommitFact(f.Canonical())
	if err != nil || string(got.Canonical()) != string(f.Canonical()) {
		t.Fatalf("round trip: %v", err)
	}
	jf := f.Fact()
	back, err := CommitFromFact(jf)
	if err != nil || back.FactID() != f.FactID() {
		t.Fatalf("fact round trip: %v", err)
	}
	b := f.Canonical()
	if _, err := DecodeCommitFact(append(b, 0)); !errIs(err, ErrMalformed) {
		t.Fatalf("trailing byte: %v", err)
	}
	if _, err := DecodeCommitFact(b[:len(b)-1]); !errIs(err, ErrMalformed) {
		t.Fatalf("truncated: %v", err)
	}
}
