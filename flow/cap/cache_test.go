package cap

import (
	"errors"
	"testing"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// countingAuth counts verifications behind Native.
type countingAuth struct {
	n int
	a Native
}

func (c *countingAuth) Authorize(tok []byte, p journal.AuthorityID, ctx journal.ContextID, e uint64, ik [32]byte) (Frontier, error) {
	c.n++
	return c.a.Authorize(tok, p, ctx, e, ik)
}

func TestCache(t *testing.T) {
	k, ip := key(1)
	_, other := key(9)
	raw := issue(t, k, grantBlock(bob, 12_000, 0, 9, [32]byte{})).Canonical()
	c := NewCache(0)
	a := &countingAuth{}
	steps := []struct {
		name      string
		epoch     uint64
		gen       uint64
		presenter journal.AuthorityID
		issuer    [32]byte
		wantHit   bool
		wantCalls int
		wantErr   bool
	}{
		{"cold", 1, 0, bob, ip, false, 1, false},
		{"warm", 1, 0, bob, ip, true, 1, false},
		{"other peer verifies", 1, 0, alice, ip, false, 2, true},
		{"failure not cached", 1, 0, alice, ip, false, 3, true},
		{"still warm", 1, 0, bob, ip, true, 3, false},
		{"epoch change drops", 2, 0, bob, ip, false, 4, false},
		{"warm again", 2, 0, bob, ip, true, 4, false},
		{"older epoch bypasses", 1, 0, bob, ip, false, 5, false},
		{"older epoch not stored", 1, 0, bob, ip, false, 6, false},
		{"current epoch kept", 2, 0, bob, ip, true, 6, false},
		{"policy change drops", 2, 1, bob, ip, false, 7, false},
		{"issuer rotated", 2, 1, bob, other, false, 8, true},
		{"old issuer still cached", 2, 1, bob, ip, true, 8, false},
	}
	for _, s := range steps {
		_, hit, err := c.Authorize(a, raw, s.presenter, ctx1, s.epoch, s.issuer, s.gen)
		if hit != s.wantHit || a.n != s.wantCalls || (err != nil) != s.wantErr {
			t.Fatalf("%s: hit=%v calls=%d err=%v", s.name, hit, a.n, err)
		}
	}
	if c.Hits != 5 || c.Misses != 8 {
		t.Fatalf("hits %d misses %d", c.Hits, c.Misses)
	}
}

func TestCacheBounded(t *testing.T) {
	c := NewCache(4)
	for i := range 10 {
		k := CacheKey{Ctx: ctx1, Peer: bob, TokenHash: canon.HPlain([]byte{byte(i)})}
		c.Put(k, [32]byte{}, 0, 0, Frontier{})
		if c.Len() > 4 {
			t.Fatalf("cache holds %d > 4", c.Len())
		}
	}
}

func TestSelectGrant(t *testing.T) {
	k, ip := key(1)
	ko, _ := key(4)
	small := issue(t, k, grantBlock(bob, 7_000, 0, 9, [32]byte{}))
	bigA := issue(t, k, grantBlock(bob, 20_000, 0, 9, [32]byte{1}))
	bigB := issue(t, k, grantBlock(bob, 20_000, 0, 9, [32]byte{2}))
	expired := issue(t, k, grantBlock(bob, 90_000, 0, 2, [32]byte{}))
	foreign := issue(t, ko, grantBlock(bob, 90_000, 0, 9, [32]byte{}))
	toAlice := issue(t, k, grantBlock(alice, 90_000, 0, 9, [32]byte{}))
	low := issue(t, k, grantBlock(bob, 6_400, 0, 9, [32]byte{}))
	low.Blocks[0].FlowLimit = 6_399 // inert: below MinLimit (and now unsigned)
	low.Blocks[0].Sig = sign(k, [64]byte{}, &low.Blocks[0])
	tieWinner := bigA
	if h1, h2 := bigA.Hash(), bigB.Hash(); string(h2[:]) < string(h1[:]) {
		tieWinner = bigB
	}
	raws := func(ts ...CapToken) [][]byte {
		var out [][]byte
		for _, t := range ts {
			out = append(out, t.Canonical())
		}
		return out
	}
	def := GenesisDefault()
	cases := []struct {
		name   string
		grants [][]byte
		want   [32]byte
		limit  uint64
	}{
		{"largest wins", raws(small, bigA), bigA.Hash(), 20_000},
		{"tie smaller hash", raws(bigB, bigA, small), tieWinner.Hash(), 20_000},
		{"invalid skipped", raws(expired, foreign, toAlice, low, small), small.Hash(), 7_000},
		{"none: genesis default", append(raws(expired, foreign), []byte{0xff}), [32]byte{}, def.Limit},
		{"empty: genesis default", nil, [32]byte{}, def.Limit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := SelectGrant(Native{}, c.grants, bob, ctx1, 5, ip, Policy{}, def)
			if err != nil {
				t.Fatal(err)
			}
			if f.TokenHash != c.want || f.Limit != c.limit {
				t.Fatalf("selected hash %x limit %d", f.TokenHash[:4], f.Limit)
			}
		})
	}
	f, _ := SelectGrant(Native{}, nil, bob, ctx1, 1<<60, ip, Policy{}, def)
	if f.Permits(ConsensusDKG, 1<<60) != nil {
		t.Fatal("Genesis default must hold every cap in every epoch")
	}
}

// TestDefaultBelowMinLimit: a DefaultLimit below MinLimit is an invalid
// Genesis (SPEC §16.39): selection denies instead of using it.
func TestDefaultBelowMinLimit(t *testing.T) {
	_, ip := key(1)
	_, err := SelectGrant(Native{}, nil, bob, ctx1, 0, ip, Policy{}, Default{Caps: AllNames(), Limit: 6_399})
	if !errors.Is(err, ErrLimitTooLow) {
		t.Fatalf("err = %v", err)
	}
	f, err := DefaultFrontier(Default{Caps: []string{"b", "a", "a"}, Limit: 6_400}, Policy{MaxLimit: 6_400})
	if err != nil || len(f.Caps) != 2 || !f.Has("a") || f.Limit != 6_400 {
		t.Fatalf("default frontier = %+v, %v", f, err)
	}
}

func BenchmarkVerifyUncached(b *testing.B) {
	k, ip := key(1)
	raw := issue(b, k, grantBlock(bob, 12_000, 0, 9, [32]byte{})).Canonical()
	a := Native{}
	for b.Loop() {
		if _, err := a.Authorize(raw, bob, ctx1, 1, ip); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyUncached3Blocks(b *testing.B) {
	k, ip := key(1)
	k2, np := key(2)
	k3, np3 := key(3)
	t := issue(b, k, grantBlock(bob, 12_000, 0, 9, np))
	t, _ = Attenuate(t, k2, CapBlock{Context: ctx1, Subject: carol, Caps: []string{SyncPushOps, SyncRequestOps},
		FlowLimit: 9_000, FromEpoch: 0, ToEpoch: 9, NextKey: np3})
	t, _ = Attenuate(t, k3, CapBlock{Context: ctx1, Subject: alice, Caps: []string{SyncPushOps},
		FlowLimit: 7_000, FromEpoch: 0, ToEpoch: 9})
	raw := t.Canonical()
	for b.Loop() {
		if _, err := (Native{}).Authorize(raw, alice, ctx1, 1, ip); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	k, ip := key(1)
	raw := issue(b, k, grantBlock(bob, 12_000, 0, 9, [32]byte{})).Canonical()
	c := NewCache(0)
	a := Native{}
	for b.Loop() {
		if _, _, err := c.Authorize(a, raw, bob, ctx1, 1, ip, 0); err != nil {
			b.Fatal(err)
		}
	}
}
