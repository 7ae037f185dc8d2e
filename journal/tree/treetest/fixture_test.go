package treetest

import (
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

func TestFixtureReduces(t *testing.T) {
	f := New(t, 1)
	es, s := f.Grow(3, 2)
	rm := f.Commit(s, f.Op(s, tree.RemoveLeaf, nil, []tree.LeafID{1}, nil, true))
	all := append([]journal.Entry{f.Genesis, rm.Entry}, es...)
	res, err := tree.NewReducer(tree.Config{}).Reduce(f.NS, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 3 || res.State.Root != rm.Post.Root {
		t.Fatalf("applied %d commits, root match %v", len(res.Applied), res.State.Root == rm.Post.Root)
	}
	if res.State.KeyEpoch != 3 || len(res.State.Leaves) != 2 {
		t.Fatalf("key epoch %d, %d leaves", res.State.KeyEpoch, len(res.State.Leaves))
	}
}

func TestSealedSecretsOpen(t *testing.T) {
	f := New(t, 2)
	_, s := f.Grow(3, 2)                                                          // epochs 1, 2
	rm := f.Commit(s, f.Op(s, tree.RemoveLeaf, nil, []tree.LeafID{2}, nil, true)) // epoch 3 without device 2
	_ = rm
	for k := uint64(0); k <= 3; k++ {
		for i := range 3 {
			got, ok := f.Open(f.Device(i), k)
			member := (i == 0) || (i == 1 && k >= 1) || (i == 2 && k == 2)
			if ok != member {
				t.Fatalf("device %d key epoch %d: opened %v, member %v", i, k, ok, member)
			}
			if ok && got != f.Secrets[k] {
				t.Fatalf("device %d key epoch %d: wrong secret", i, k)
			}
		}
	}
	if n := len(f.OpenAll(f.Device(2), 3)); n != 1 {
		t.Fatalf("removed device opens %d secrets, want 1", n)
	}
}
