package jstate

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
	"github.com/aura-p2p/aura-p2p/journal/tree/treetest"
)

// TestSlotTableFromTree: with Options.Authorities the slot table is the
// reduced tree's leaves (SPEC §6.2) and this device's slot its leaf;
// without a reduced Genesis it is {Keyring.Leaf}; after RemoveLeaf the
// removed device is denied; the table is re-reduced only when the
// authority namespace changes.
func TestSlotTableFromTree(t *testing.T) {
	f := treetest.New(t, 62)
	es, s := f.Grow(3, 2)
	dev := f.Device(2)
	j, err := journal.Open(bg, memDS(), journal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	j.Join(f.NS)
	kr := &Keyring{Authority: f.Auth, Device: dev.ID(), Leaf: 7, DeviceKey: dev.Priv,
		MemberKey: dev.Priv, Secret: make([]byte, 32)}
	reg := journal.NewRegistry(tree.JournalReducer{R: tree.NewReducer(tree.Config{})}, journal.ContextReducer{})
	st, err := NewWith(j, kr, nil, Options{Authorities: reg})
	if err != nil {
		t.Fatal(err)
	}
	slots := func() ([]uint32, uint32, error) {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.cachedSlots(st.authVersion())
	}
	if l, self, err := slots(); err != nil || !slices.Equal(l, []uint32{7}) || self != 7 {
		t.Fatalf("without a Genesis: %v %d %v", l, self, err)
	}
	add := func(es ...journal.Entry) {
		t.Helper()
		var raws [][]byte
		for _, e := range es {
			raws = append(raws, e.Raw)
		}
		if _, err := j.Add(bg, f.NS, time.Now(), raws...); err != nil {
			t.Fatal(err)
		}
	}
	add(append([]journal.Entry{f.Genesis}, es...)...)
	if l, self, err := slots(); err != nil || !slices.Equal(l, []uint32{0, 1, 2}) || self != 2 {
		t.Fatalf("3 leaves: %v self %d %v", l, self, err)
	}
	l1, _ := s.LeafByDevice(f.Device(1).ID())
	rm := f.Commit(s, f.Op(s, tree.RemoveLeaf, nil, []tree.LeafID{l1.ID}, nil, true))
	add(rm.Entry)
	if l, self, err := slots(); err != nil || !slices.Equal(l, []uint32{0, 2}) || self != 2 {
		t.Fatalf("after removing leaf 1: %v self %d %v", l, self, err)
	}
	l2, _ := rm.Post.LeafByDevice(dev.ID())
	rm2 := f.Commit(rm.Post, f.Op(rm.Post, tree.RemoveLeaf, nil, []tree.LeafID{l2.ID}, &tree.Policy{M: 1, N: 1}, true))
	add(rm2.Entry)
	if _, _, err := slots(); !errors.Is(err, ErrNotMember) {
		t.Fatalf("removed device: %v, want ErrNotMember", err)
	}
	// Cached per authority version: same answer, no new reduction.
	st.mu.Lock()
	c := st.slots
	st.mu.Unlock()
	if _, _, err := slots(); !errors.Is(err, ErrNotMember) {
		t.Fatal("cache changed the answer")
	}
	st.mu.Lock()
	same := st.slots == c
	st.mu.Unlock()
	if !same {
		t.Fatal("slot table re-reduced without an authority change")
	}
}
