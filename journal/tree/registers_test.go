package tree_test

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree"
	"github.com/aura-p2p/aura-p2p/journal/tree/treetest"
)

func reduceAll(t *testing.T, ns journal.Namespace, es []journal.Entry) *tree.Result {
	t.Helper()
	res, err := tree.NewReducer(tree.Config{}).Reduce(ns, es)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func authors(ps []journal.Peer) [][16]byte {
	var out [][16]byte
	for _, p := range ps {
		out = append(out, p.Author)
	}
	return out
}

// TestRegistersAtLeaves: DevicePeer and FlowCharge registers count only
// for current leaves signing with their own DeviceKey; a non-leaf's
// DevicePeer, a mis-signed one and a slot ≥ MaxDevices are inert; each
// FactID keeps its join (SPEC §3).
func TestRegistersAtLeaves(t *testing.T) {
	f := treetest.New(t, 7)
	es, _ := f.Grow(3, 2)
	outsider := f.Device(5) // never added
	var ctx, dst [16]byte
	ctx[0], dst[0] = 1, 2
	mis := f.DevicePeer(f.Device(1), []byte("p1"), nil, 1)
	misBody := &journal.DevicePeer{PeerID: []byte("px"), Seq: 1}
	mis = journal.SignBody(f.NS, misBody, [16]byte(f.Device(1).ID()), f.Device(2).Priv) // author 1, key of 2
	facts := []journal.Fact{
		f.DevicePeer(f.Device(0), []byte("p0"), nil, 1),
		f.DevicePeer(f.Device(1), []byte("p1"), nil, 1),
		f.DevicePeer(f.Device(1), []byte("p1"), [][]byte{[]byte("a")}, 2), // same FactID, larger Seq
		f.DevicePeer(f.Device(2), []byte("p2"), nil, 1),
		f.DevicePeer(outsider, []byte("po"), nil, 1),
		mis,
		f.FlowCharge(f.Device(1), ctx, dst, 3, 1, 100),
		f.FlowCharge(f.Device(1), ctx, dst, 3, 1, 250),
		f.FlowCharge(f.Device(2), ctx, dst, 3, 2, 40),
		f.FlowCharge(f.Device(2), ctx, dst, 3, tree.MaxDevices, 40),
		f.FlowCharge(outsider, ctx, dst, 3, 0, 9),
	}
	all := append([]journal.Entry{f.Genesis}, es...)
	for _, jf := range facts {
		all = append(all, f.Entry(jf))
	}
	res := reduceAll(t, f.NS, all)
	want := [][16]byte{[16]byte(f.Device(0).ID()), [16]byte(f.Device(1).ID()), [16]byte(f.Device(2).ID())}
	slices.SortFunc(want, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	if got := authors(res.DevicePeers()); !slices.Equal(got, want) {
		t.Fatalf("peer authors %x, want %x", got, want)
	}
	for _, p := range res.DevicePeers() {
		if p.Author == [16]byte(f.Device(1).ID()) && p.Seq != 2 {
			t.Fatalf("device 1 register not joined: seq %d", p.Seq)
		}
	}
	if got := res.Spent(ctx, dst, 3, 1); got != 250 {
		t.Fatalf("slot 1 spent %d, want 250", got)
	}
	if got := res.Spent(ctx, dst, 3, 2); got != 40 {
		t.Fatalf("slot 2 spent %d, want 40", got)
	}
	if n := len(res.FlowCharges()); n != 2 {
		t.Fatalf("%d FlowCharge registers, want 2", n)
	}
	if res.Registers.Inert != 4 {
		t.Fatalf("inert %d, want 4 (outsider peer, mis-signed peer, slot 64, outsider charge)", res.Registers.Inert)
	}
	if d := res.Devices(); len(d) != 3 || d[2].DHKey != f.Device(2).Leaf.DHKey {
		t.Fatalf("devices %v", d)
	}
}

// TestRegistersOfRemovedLeafInert: once RemoveLeaf applies, the removed
// device's DevicePeer and FlowCharge registers are inert (documented in
// journal.AuthorityRegisters): it is no sync peer and its charges gate
// nothing.
func TestRegistersOfRemovedLeafInert(t *testing.T) {
	f := treetest.New(t, 8)
	es, s := f.Grow(3, 2)
	gone := f.Device(2)
	var ctx, dst [16]byte
	ctx[0] = 9
	regs := []journal.Entry{
		f.Entry(f.DevicePeer(gone, []byte("p2"), nil, 1)),
		f.Entry(f.FlowCharge(gone, ctx, dst, 1, 2, 77)),
		f.Entry(f.DevicePeer(f.Device(1), []byte("p1"), nil, 1)),
	}
	before := reduceAll(t, f.NS, slices.Concat([]journal.Entry{f.Genesis}, es, regs))
	if before.Spent(ctx, dst, 1, 2) != 77 || len(before.DevicePeers()) != 2 {
		t.Fatalf("before removal: spent %d, %d peers", before.Spent(ctx, dst, 1, 2), len(before.DevicePeers()))
	}
	l, _ := s.LeafByDevice(gone.ID())
	rm := f.Commit(s, f.Op(s, tree.RemoveLeaf, nil, []tree.LeafID{l.ID}, nil, true))
	after := reduceAll(t, f.NS, slices.Concat([]journal.Entry{f.Genesis, rm.Entry}, es, regs))
	if after.Spent(ctx, dst, 1, 2) != 0 || len(after.FlowCharges()) != 0 {
		t.Fatalf("removed device's FlowCharge still counts")
	}
	if got := authors(after.DevicePeers()); !slices.Equal(got, [][16]byte{[16]byte(f.Device(1).ID())}) {
		t.Fatalf("peers after removal %x", got)
	}
	if after.Registers.Inert != 2 {
		t.Fatalf("inert %d, want 2", after.Registers.Inert)
	}
}

// TestRegistersOrderIndependent: the Result, registers included, is
// byte-identical over shuffles and duplicates of the entry set.
func TestRegistersOrderIndependent(t *testing.T) {
	f := treetest.New(t, 9)
	es, s := f.Grow(3, 2)
	rot := f.Commit(s, &tree.TreeOp{ParentEpoch: s.Epoch, ParentRoot: s.Root, Version: tree.OpVersion, Kind: tree.RotateEpoch})
	all := slices.Concat([]journal.Entry{f.Genesis, rot.Entry}, es)
	var ctx, dst [16]byte
	for i := range 3 {
		d := f.Device(i)
		for seq := uint64(1); seq <= 3; seq++ {
			all = append(all, f.Entry(f.DevicePeer(d, []byte{byte(i)}, [][]byte{{byte(seq)}}, seq)))
			all = append(all, f.Entry(f.FlowCharge(d, ctx, dst, seq, uint16(i), seq*10)))
		}
	}
	all = append(all, f.Entry(f.DevicePeer(f.Device(4), []byte("x"), nil, 1)))
	want := reduceAll(t, f.NS, all).Canonical()
	rnd := rand.New(rand.NewPCG(9, 9))
	for range 20 {
		in := slices.Clone(all)
		in = append(in, in[rnd.IntN(len(in))])
		rnd.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		if got := reduceAll(t, f.NS, in).Canonical(); !bytes.Equal(got, want) {
			t.Fatal("reduction depends on arrival order")
		}
	}
}

// TestFlowChargeForeignSlotInert: a FlowCharge counts only for the
// signer's own slot, its index among the current devices by LeafId
// (SPEC §6.2). A current device that writes a charge for another
// device's slot — larger Spent included — or for a slot nobody holds
// writes an inert fact: the owner's register is neither raised nor
// shadowed, an unowned slot reads 0, and shuffling the entry set changes
// nothing. After a RemoveLeaf shifts the indices, each device's own slot
// is its new index.
func TestFlowChargeForeignSlotInert(t *testing.T) {
	f := treetest.New(t, 10)
	es, s := f.Grow(3, 2)
	var ctx, dst [16]byte
	ctx[0], dst[0] = 4, 5
	charges := []journal.Entry{
		f.Entry(f.FlowCharge(f.Device(1), ctx, dst, 2, 1, 100)), // own slot
		f.Entry(f.FlowCharge(f.Device(2), ctx, dst, 2, 1, 999)), // device 1's slot
		f.Entry(f.FlowCharge(f.Device(2), ctx, dst, 2, 0, 500)), // device 0's slot, no owner register
		f.Entry(f.FlowCharge(f.Device(1), ctx, dst, 2, 5, 7)),   // a slot nobody holds
		f.Entry(f.FlowCharge(f.Device(1), ctx, dst, 2, 0, 30)),  // device 0's slot, after removal its own
	}
	all := slices.Concat([]journal.Entry{f.Genesis}, es, charges)
	res := reduceAll(t, f.NS, all)
	if got := res.Spent(ctx, dst, 2, 1); got != 100 {
		t.Fatalf("slot 1 spent %d, want device 1's own 100 (device 2's 999 must be inert)", got)
	}
	if got := res.Spent(ctx, dst, 2, 0); got != 0 {
		t.Fatalf("slot 0 spent %d, want 0 (only foreign charges)", got)
	}
	if got := res.Spent(ctx, dst, 2, 5); got != 0 {
		t.Fatalf("unheld slot 5 spent %d, want 0", got)
	}
	if n := len(res.FlowCharges()); n != 1 {
		t.Fatalf("%d FlowCharge registers, want 1: %+v", n, res.FlowCharges())
	}
	if res.Registers.Inert != 4 {
		t.Fatalf("inert %d, want 4", res.Registers.Inert)
	}
	want := res.Canonical()
	rnd := rand.New(rand.NewPCG(10, 10))
	for range 10 {
		in := slices.Clone(all)
		rnd.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		if !bytes.Equal(reduceAll(t, f.NS, in).Canonical(), want) {
			t.Fatal("slot rule depends on arrival order")
		}
	}
	l0, _ := s.LeafByDevice(f.Device(0).ID())
	rm := f.Commit(s, f.Op(s, tree.RemoveLeaf, nil, []tree.LeafID{l0.ID}, nil, true))
	after := reduceAll(t, f.NS, slices.Concat([]journal.Entry{f.Genesis, rm.Entry}, es, charges))
	// Device 1 now holds slot 0 and device 2 slot 1.
	if got := after.Spent(ctx, dst, 2, 0); got != 30 {
		t.Fatalf("after removal slot 0 spent %d, want device 1's 30", got)
	}
	if got := after.Spent(ctx, dst, 2, 1); got != 999 {
		t.Fatalf("after removal slot 1 spent %d, want device 2's 999", got)
	}
	for _, fs := range after.FlowCharges() {
		if fs.Slot == 1 && fs.Spent == 100 {
			t.Fatal("device 1's register for its old slot still counts")
		}
	}
}
