package consensus

import (
	pb "github.com/aura-p2p/aura-p2p/protocols/consensuspb"
	"google.golang.org/protobuf/proto"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
)

// capture runs a cold then a fallback instance and returns one message of
// every kind seen on the wire.
func captureMessages(t testing.TB) map[string]Message {
	c := newCluster(t, 3, 5, 20)
	got := map[string]Message{}
	c.onSend = func(from, to int, m Message) []Message {
		k := reflect.TypeOf(m).String()
		if _, ok := got[k]; !ok {
			got[k] = m
		}
		return []Message{m}
	}
	cid := c.propose(0, opAdd(1))
	c.waitCommit(t, cid, c.all(), time.Second)
	c.apply(c.commitsOf(0, cid)[0], c.all())
	c.scopes[4].value = 77
	_ = c.nodes[4].SetScope(c.scopes[4], c.nodes[4].keys, c.now)
	c.nodes[4].Start(c.now)
	c.flush(4)
	cid = c.crashAfterExecute(0, opAdd(2), func(to int) bool { return to != 3 })
	c.waitCommit(t, cid, []int{1, 2}, 20*time.Second)
	c.runFor(time.Second)
	return got
}

// TestWireRoundTrip: every message kind survives Marshal/Unmarshal
// unchanged (the harness also routes every delivery through the codec).
func TestWireRoundTrip(t *testing.T) {
	msgs := captureMessages(t)
	if len(msgs) < 9 {
		t.Fatalf("only %d message kinds seen: %v", len(msgs), slices.Collect(func(yield func(string) bool) {
			for k := range msgs {
				if !yield(k) {
					return
				}
			}
		}))
	}
	for k, m := range msgs {
		b, err := Marshal(m)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		back, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		b2, _ := Marshal(back)
		if string(b) != string(b2) {
			t.Fatalf("%s: round trip changed the encoding", k)
		}
	}
}

// TestWireRejectsBadSizes: wrong-size ids, commitments, shares and
// over-long lists give ErrMalformed, never a panic.
func TestWireRejectsBadSizes(t *testing.T) {
	cases := map[string]Message{
		"commitment size":   &NonceCommit{Commitment: SignedCommitment{Commitment: make([]byte, 10)}},
		"share size":        &SignShare{Shares: []PackageShare{{Share: make([]byte, 3)}}},
		"package mismatch":  &SignRequest{Package: SigningPackage{Signers: []uint16{1, 2}, Commitments: [][]byte{make([]byte, 75)}}},
		"too much evidence": &Conflict{Evidence: make([]EquivocationProof, 17)},
	}
	for name, m := range cases {
		b, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Unmarshal(b); !errIs(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	short, _ := proto.Marshal(&pb.ConsensusFrame{Body: &pb.ConsensusFrame_FetchExecute{FetchExecute: &pb.GetExecute{Cid: make([]byte, 31)}}})
	if _, err := Unmarshal(short); !errIs(err, ErrMalformed) {
		t.Errorf("short cid: %v", err)
	}
	if _, err := Unmarshal(nil); !errIs(err, ErrMalformed) {
		t.Errorf("empty frame: %v", err)
	}
}

// TestKSubset: the even-round enumeration is the lexicographic order of
// all C(n,t) subsets.
func TestKSubset(t *testing.T) {
	n, k := 7, 4
	var all [][]int
	var rec func(start int, cur []int)
	rec = func(start int, cur []int) {
		if len(cur) == k {
			all = append(all, slices.Clone(cur))
			return
		}
		for i := start; i < n; i++ {
			rec(i+1, append(cur, i))
		}
	}
	rec(0, nil)
	if uint64(len(all)) != binom(n, k) {
		t.Fatalf("binom %d, enumerated %d", binom(n, k), len(all))
	}
	for i, want := range all {
		if got := kSubset(n, k, uint64(i)); !slices.Equal(got, want) {
			t.Fatalf("subset %d = %v, want %v", i, got, want)
		}
	}
}

// TestBinomLargeCommittees: C(n, k) is exact up to 2^64−1 and saturates
// above (the old r·x/i wrapped from n ≈ 62 on: a wrong even-round signer
// set, a possible modulo by zero, and a kSubset walk that never ended).
func TestBinomLargeCommittees(t *testing.T) {
	cases := []struct {
		n, k int
		want uint64
	}{
		{7, 4, 35},
		{66, 33, 7219428434016265740},
		{67, 33, 14226520737620288370},
		{68, 34, math.MaxUint64}, // 28453041475240576740 > 2^64−1
		{256, 129, math.MaxUint64},
		{256, 1, 256},
		{256, 255, 256},
		{256, 256, 1},
	}
	for _, c := range cases {
		if got := binom(c.n, c.k); got != c.want {
			t.Errorf("binom(%d, %d) = %d, want %d", c.n, c.k, got, c.want)
		}
	}
	// The subsets a reachable round index selects in a 256-member
	// committee: lexicographic from {0..128}, every one strictly
	// increasing and in range.
	n, k := 256, 129
	first := kSubset(n, k, 0)
	if want := seq(0, k); !slices.Equal(first, want) {
		t.Fatalf("subset 0 = %v", first)
	}
	second := kSubset(n, k, 1)
	if want := append(seq(0, k-1), k); !slices.Equal(second, want) {
		t.Fatalf("subset 1 = %v", second)
	}
	for _, idx := range []uint64{2, 1000, 1 << 20, math.MaxUint32 / 2} {
		s := kSubset(n, k, idx%binom(n, k))
		if len(s) != k || s[0] < 0 || s[k-1] >= n || !slices.IsSorted(s) || len(slices.Compact(slices.Clone(s))) != k {
			t.Fatalf("subset %d = %v", idx, s)
		}
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
