package tree_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
	"github.com/aura-p2p/aura-p2p/journal/tree/treetest"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// checkSize compares CommitFactSize, RotationSize and CommitFrameSize with
// the real encodings of a signed commit c of op at parent s.
func checkSize(t *testing.T, name string, s *tree.TreeState, op *tree.TreeOp, c treetest.Signed) {
	t.Helper()
	n, m := len(c.Post.Leaves), int(c.Post.Policy.M)
	if got, want := tree.RotationSize(n, m), len(op.NewKey.Canonical()); got != want {
		t.Errorf("%s (N=%d, t=%d): RotationSize %d, real KeyRotation %d bytes", name, n, m, got, want)
	}
	bare := *op
	bare.NewKey = nil
	if got, want := tree.CommitFactSize(&bare, n, m, int(s.Policy.M)), len(c.Entry.Raw); got != want {
		t.Errorf("%s (N=%d, t=%d): CommitFactSize %d, real Commit fact %d bytes", name, n, m, got, want)
	}
	frame, err := consensus.Marshal(&consensus.Commit{Fact: c.CF})
	if err != nil {
		t.Fatal(err)
	}
	if got := tree.CommitFrameSize(len(c.Entry.Raw)); got != len(frame) {
		t.Errorf("%s (N=%d, t=%d): CommitFrameSize %d, real frame %d bytes", name, n, m, got, len(frame))
	}
}

// TestCommitFactSizeMatchesEncoding grows real authorities (treetest: real
// DKGs, really signed commits) to (N, t) = (2,2), (3,2), (5,3), (7,4),
// checking every AddLeaf on the way, then a RemoveLeaf, a ChangePolicy
// and a keyed RotateEpoch at the end state.
func TestCommitFactSizeMatchesEncoding(t *testing.T) {
	for _, tc := range []struct{ n, m int }{{2, 2}, {3, 2}, {5, 3}, {7, 4}} {
		f := treetest.New(t, uint64(100+tc.n))
		s := f.G0
		for i := 1; i < tc.n; i++ {
			var pol *tree.Policy
			switch {
			case i == 1:
				pol = &tree.Policy{M: 2, N: 2}
			case i == tc.n-1:
				pol = &tree.Policy{M: uint16(tc.m), N: uint16(tc.n)}
			}
			op := f.Op(s, tree.AddLeaf, f.Device(i), nil, pol, true)
			c := f.Commit(s, op)
			checkSize(t, "AddLeaf", s, op, c)
			s = c.Post
		}
		rm := []tree.LeafID{s.Leaves[len(s.Leaves)-1].ID}
		var rpol *tree.Policy
		if tc.n == 2 {
			rpol = &tree.Policy{M: 1, N: 1} // down to the single-device form
		} else if tc.m > tc.n-1 {
			rpol = &tree.Policy{M: uint16(tc.n - 1), N: uint16(tc.n - 1)}
		}
		op := f.Op(s, tree.RemoveLeaf, nil, rm, rpol, true)
		checkSize(t, "RemoveLeaf", s, op, f.Commit(s, op))
		op = f.Op(s, tree.ChangePolicy, nil, nil, &tree.Policy{M: uint16(tc.n), N: uint16(tc.n)}, true)
		checkSize(t, "ChangePolicy", s, op, f.Commit(s, op))
		op = f.Op(s, tree.RotateEpoch, nil, nil, nil, true)
		checkSize(t, "RotateEpoch", s, op, f.Commit(s, op))
	}
}

// TestRound1SizeMatchesDKG checks Round1Size against dkg.Round1.Encode
// for every threshold up to MaxDevices.
func TestRound1SizeMatchesDKG(t *testing.T) {
	for th := 1; th <= tree.MaxDevices; th++ {
		m := dkg.Round1{C: make([][32]byte, th)}
		if got, want := tree.Round1Size(th), len(m.Encode()); got != want {
			t.Fatalf("Round1Size(%d) = %d, dkg encodes %d", th, got, want)
		}
	}
}

// synthetic builds an op of n resulting members at threshold th with
// dummy bytes of the real element sizes, and its Commit with signers.
func synthetic(shape *tree.TreeOp, n, th, signers int) (*tree.TreeOp, consensus.CommitFact) {
	op := *shape
	k := &tree.KeyRotation{VerShares: map[uint16][32]byte{}, FrostIDs: map[tree.LeafID]uint16{},
		SealedSecrets: map[tree.LeafID][]byte{}}
	for i := range n {
		k.VerShares[uint16(i+1)] = [32]byte{}
		k.FrostIDs[tree.LeafID(i)] = uint16(i + 1)
		k.SealedSecrets[tree.LeafID(i)] = make([]byte, tree.SealedSecretSize)
		if n > 1 || th > 1 {
			k.Round1 = append(k.Round1, make([]byte, tree.Round1Size(th)))
			k.Confirms = append(k.Confirms, [64]byte{})
		}
	}
	op.NewKey = k
	cf := consensus.CommitFact{Op: op.Canonical(), Scope: journal.AuthorityNS(journal.AuthorityID{}),
		Signers: make([]uint16, signers)}
	return &op, cf
}

// TestCommitFactSizeLarge checks CommitFactSize against the real
// encoders (TreeOp.Canonical, CommitFact.Fact().Canonical()) on ops of
// every N up to MaxDevices, where lengths cross uvarint boundaries.
func TestCommitFactSizeLarge(t *testing.T) {
	shapes := map[string]*tree.TreeOp{
		"add":    {Add: &tree.Leaf{}, NewPolicy: &tree.Policy{}},
		"remove": {Remove: make([]tree.LeafID, 3)},
		"rotate": {},
	}
	for name, shape := range shapes {
		for n := 1; n <= tree.MaxDevices; n++ {
			for _, th := range []int{1, 2, n/2 + 1, n} {
				if (n == 1) != (th == 1) {
					continue
				}
				for _, signers := range []int{1, 2, tree.MaxDevices} {
					op, cf := synthetic(shape, n, th, signers)
					if got, want := tree.RotationSize(n, th), len(op.NewKey.Canonical()); got != want {
						t.Fatalf("%s N=%d t=%d: RotationSize %d, encoded %d", name, n, th, got, want)
					}
					raw := cf.Fact().Canonical()
					if got := tree.CommitFactSize(shape, n, th, signers); got != len(raw) {
						t.Fatalf("%s N=%d t=%d signers=%d: CommitFactSize %d, encoded %d", name, n, th, signers, got, len(raw))
					}
					frame, err := consensus.Marshal(&consensus.Commit{Fact: cf})
					if err != nil {
						t.Fatal(err)
					}
					if got := tree.CommitFrameSize(len(raw)); got != len(frame) {
						t.Fatalf("%s N=%d t=%d: CommitFrameSize %d, frame %d", name, n, th, got, len(frame))
					}
				}
			}
		}
	}
}

// TestCommitLimit: the fact cap binds (the consensus frame has room for
// a full fact and the evidence reserve), and the spec issue is real: a
// 64-of-64 rotation does not fit.
func TestCommitLimit(t *testing.T) {
	if got := tree.CommitLimit(); got != journal.MaxFactSize {
		t.Fatalf("CommitLimit %d, want journal.MaxFactSize %d", got, journal.MaxFactSize)
	}
	if tree.CommitFrameSize(journal.MaxFactSize)+tree.EvidenceReserve > protocols.MaxConsensusFrame {
		t.Fatal("a full Commit fact plus the evidence reserve exceeds the consensus frame cap")
	}
	if s := tree.WorstCommitFactSize(tree.MaxDevices, tree.MaxDevices); s <= journal.MaxFactSize || tree.Fits(tree.MaxDevices, tree.MaxDevices) {
		t.Fatalf("64-of-64 commit is %d bytes and Fits says it fits", s)
	}
	if !tree.Fits(1, 1) || !tree.Fits(2, 2) {
		t.Fatal("small authorities must fit")
	}
}

// maxN is the largest n ≤ MaxDevices with Fits(n, thr(n)).
func maxN(thr func(n int) int) int {
	best := 0
	for n := 2; n <= tree.MaxDevices; n++ {
		if tree.Fits(n, thr(n)) {
			best = n
		}
	}
	return best
}

// TestMaxMembersTable prints the largest N per threshold rule (t = 2,
// N/2+1, N; recorded in BENCHMARKS.md "Limits") and checks MaxMembers is
// the exact boundary of Fits.
func TestMaxMembersTable(t *testing.T) {
	rules := []struct {
		name string
		thr  func(n int) int
	}{
		{"t=2", func(int) int { return 2 }},
		{"t=N/2+1", func(n int) int { return n/2 + 1 }},
		{"t=N", func(n int) int { return n }},
	}
	var b strings.Builder
	for _, r := range rules {
		n := maxN(r.thr)
		if n < 2 {
			t.Fatalf("%s: no N fits", r.name)
		}
		fmt.Fprintf(&b, "%s: max N %d (%d-byte worst commit; N+1: %d)\n", r.name, n,
			tree.WorstCommitFactSize(n, r.thr(n)), tree.WorstCommitFactSize(min(n+1, tree.MaxDevices), r.thr(min(n+1, tree.MaxDevices))))
		for m := n + 1; m <= tree.MaxDevices; m++ {
			if tree.Fits(m, r.thr(m)) {
				t.Fatalf("%s: N=%d fits above the maximum %d", r.name, m, n)
			}
		}
	}
	for th := 2; th <= tree.MaxDevices; th++ {
		n := tree.MaxMembers(th)
		if n != 0 && (n < th || !tree.Fits(n, th)) {
			t.Fatalf("MaxMembers(%d) = %d does not fit", th, n)
		}
		if n < tree.MaxDevices && tree.Fits(n+1, th) && n+1 >= th {
			t.Fatalf("MaxMembers(%d) = %d but N=%d fits", th, n, n+1)
		}
	}
	t.Log("\n" + b.String())
}

// TestCheckCommitSize: the refusal wraps ErrOpTooLarge and names N, M
// and the limit.
func TestCheckCommitSize(t *testing.T) {
	op := &tree.TreeOp{Add: &tree.Leaf{}}
	if err := tree.CheckCommitSize(op, 3, 2, 2); err != nil {
		t.Fatalf("3-of-2: %v", err)
	}
	err := tree.CheckCommitSize(op, 64, 64, 63)
	if !errors.Is(err, tree.ErrOpTooLarge) {
		t.Fatalf("64-of-64: %v", err)
	}
	for _, s := range []string{"N=64", "M=64", fmt.Sprint(journal.MaxFactSize)} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not name %s", err, s)
		}
	}
}
