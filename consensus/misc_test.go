package consensus

import (
	"bytes"
	"testing"
	"time"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
)

// TestNoNonceInDurableOutput is SPEC §16.7(c) for the core: no vote-log
// write, Commit fact or Equivocation fact contains a nonce recorded by the
// frostx test hook, across a fast and a fallback instance.
func TestNoNonceInDurableOutput(t *testing.T) {
	base := keysFor(t, 3, 5)
	rec := &frostx.NonceRecorder{}
	cfg := base.cfg
	cfg.Recorder = rec
	fc, err := frostx.NewCommittee(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ks := *base
	ks.frost = fc
	c := newClusterKeys(t, &ks, 40)
	c.start()
	c.runFor(100 * time.Millisecond)
	cid := c.propose(0, opAdd(1))
	c.waitCommit(t, cid, c.all(), time.Second)
	c.apply(c.commitsOf(0, cid)[0], c.all())
	cid = c.crashAfterExecute(0, opAdd(2), nil)
	c.waitCommit(t, cid, []int{1, 2, 3, 4}, 20*time.Second)
	var durable []byte
	for _, st := range c.stores {
		for _, v := range st.votes {
			durable = append(append(append(durable, v.CID[:]...), v.PrestateHash[:]...), v.RID[:]...)
		}
		for _, f := range st.commits {
			durable = append(durable, f.Fact().Canonical()...)
		}
		for _, p := range st.evidence {
			durable = append(durable, p.Canonical()...)
		}
	}
	recs := rec.Records()
	if len(recs) == 0 || len(durable) == 0 {
		t.Fatal("nothing recorded")
	}
	for _, r := range recs {
		if bytes.Contains(durable, r.HidingNonce[:]) || bytes.Contains(durable, r.BindingNonce[:]) {
			t.Fatal("a nonce reached durable output")
		}
	}
}

// TestInstanceTimeout: with every witness unreachable the initiator
// reports TimedOut with ErrConsensusTimeout at InstanceTimeout (§5.10).
func TestInstanceTimeout(t *testing.T) {
	c := newCluster(t, 3, 5, 41)
	c.cut = func(from, to int) bool { return from != to }
	cid := c.propose(0, opAdd(1))
	_, _, timeout := c.nodes[0].Timing()
	var got *Outcome
	c.runUntil(c.now.Add(timeout+time.Second), func() bool {
		for _, o := range c.outcomes[0] {
			if o.CID == cid && o.Kind == TimedOut {
				got = &o
				return true
			}
		}
		return false
	})
	if got == nil || !errIs(got.Err, ErrConsensusTimeout) {
		t.Fatalf("no TimedOut outcome: %+v", got)
	}
	if st, ok := c.nodes[0].State(cid); !ok || (st != StateFailed && st != StateFallback) {
		t.Fatalf("initiator state %v", st)
	}
}

// TestConfigValidate: required fields and committees without agreement.
func TestConfigValidate(t *testing.T) {
	if _, err := New(Config{}); !errIs(err, ErrConfig) {
		t.Fatalf("empty config: %v", err)
	}
	c := newCluster(t, 3, 5, 42)
	cfg := Config{Self: witness(9), VoteKey: c.ks.vkeys[0], Rand: bytes.NewReader(make([]byte, 64)),
		Scope: c.scopes[0], Keys: c.nodes[0].keys}
	if _, err := New(cfg); !errIs(err, ErrConfig) {
		t.Fatalf("non-member: %v", err)
	}
}

// TestKeyEpochChange: on a key-epoch change every member drops its
// commitments and announces fresh ones (SPEC §5.4); messages of the old
// epoch are ignored and the next instance runs fast1.
func TestKeyEpochChange(t *testing.T) {
	c := newCluster(t, 3, 5, 43)
	c.start()
	c.runFor(100 * time.Millisecond)
	old := c.ks.com.KeyEpoch
	var stale []Message
	c.onSend = func(from, to int, m Message) []Message {
		if a, ok := m.(*CommitmentAnnounce); ok && a.KeyEpoch == old && len(stale) == 0 {
			stale = append(stale, m)
		}
		return []Message{m}
	}
	c.nodes[1].Start(c.now) // an old-epoch announce to replay later
	c.flush(1)
	announced := 0
	c.onSend = func(from, to int, m Message) []Message {
		if a, ok := m.(*CommitmentAnnounce); ok && a.KeyEpoch == old+1 {
			announced++
		}
		return []Message{m}
	}
	for i := range c.n {
		c.scopes[i].com.KeyEpoch = old + 1
		if err := c.nodes[i].SetScope(c.scopes[i], c.nodes[i].keys, c.now); err != nil {
			t.Fatal(err)
		}
		c.flush(i)
	}
	c.remember(c.scopes[0])
	if announced != c.n*(c.n-1) {
		t.Fatalf("%d announces after the key change, want %d", announced, c.n*(c.n-1))
	}
	if len(stale) == 1 {
		_ = c.nodes[0].Step(witness(1), stale[0], c.now)
	}
	c.runFor(100 * time.Millisecond)
	for _, sc := range c.nodes[0].pool.cache {
		for _, x := range sc {
			if x.KeyEpoch != old+1 {
				t.Fatal("an old-epoch commitment survived the key change")
			}
		}
	}
	cid := c.propose(0, opAdd(1))
	c.waitCommit(t, cid, c.all(), time.Second)
	if f := c.commitsOf(0, cid)[0]; f.Path != PathFast1 || f.KeyEpoch != old+1 {
		t.Fatalf("path %d epoch %d", f.Path, f.KeyEpoch)
	}
	c.checkSafety(c.all())
}

// TestNewRefusesUnusableCommittee: t = 1 (a single signer needs no
// agreement) and t > n are ErrInsufficientWitnesses, on New and SetScope
// alike; a usable committee is accepted.
func TestNewRefusesUnusableCommittee(t *testing.T) {
	ks := keysFor(t, 3, 5)
	sg, err := frostx.NewSigner(ks.frost, ks.shares[0])
	if err != nil {
		t.Fatal(err)
	}
	cfgFor := func(com Committee) Config {
		return Config{Self: witness(0), VoteKey: ks.vkeys[0], Rand: bytes.NewReader(make([]byte, 1<<10)),
			Scope: &counterScope{com: com}, Keys: Keys{Frost: ks.frost, Signer: sg}}
	}
	one := ks.com
	one.Threshold = 1
	tooFew := ks.com
	tooFew.Members = ks.com.Members[:2]
	for name, com := range map[string]Committee{"t=1": one, "t>n": tooFew} {
		if _, err := New(cfgFor(com)); !errIs(err, ErrInsufficientWitnesses) {
			t.Errorf("%s: New err %v, want ErrInsufficientWitnesses", name, err)
		}
	}
	nd, err := New(cfgFor(ks.com))
	if err != nil {
		t.Fatalf("usable committee refused: %v", err)
	}
	if err := nd.SetScope(&counterScope{com: one}, Keys{Frost: ks.frost, Signer: sg}, epoch0); !errIs(err, ErrInsufficientWitnesses) {
		t.Errorf("SetScope t=1: err %v, want ErrInsufficientWitnesses", err)
	}
}
