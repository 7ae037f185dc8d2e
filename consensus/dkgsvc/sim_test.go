package dkgsvc

import (
	"context"
	"errors"
	"maps"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/internal/simnet"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// linkLog records the DKG data frames on each directed link.
type linkLog struct {
	mu     sync.Mutex
	frames map[[2]peer.ID][][]byte
}

func (l *linkLog) tap(ev simnet.Event) {
	if ev.Kind != simnet.KindFrame || ev.Stream.Proto != protocols.DKG {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := [2]peer.ID{ev.Src, ev.Dst}
	l.frames[k] = append(l.frames[k], slices.Clone(ev.Data))
}

// receiveStarts collects the proposer's DKGStart at members 2..n.
func receiveStarts(t *testing.T, c *cluster, want dkg.Session) {
	t.Helper()
	for i := 1; i < len(c.svcs); i++ {
		select {
		case st := <-c.svcs[i].Starts():
			if st.Proposer != 1 || st.From != c.peers[0] {
				t.Fatalf("member %d: start from %d/%s", i+1, st.Proposer, st.From)
			}
			sess, err := st.Session(testNS)
			if err != nil || !reflect.DeepEqual(sess, want) {
				t.Fatalf("member %d: session %v differs (%v)", i+1, sess, err)
			}
		case <-time.After(time.Second):
			t.Fatalf("member %d: no DKGStart", i+1)
		}
	}
}

// TestDKGOverNetworkThenSign: a 3-of-5 DKG over simnet completes at all
// five; keys agree; round 2 travels only to its recipient; members 1, 3, 5
// sign with shares loaded (opened) from their datastores and
// frostx.Verify accepts.
func TestDKGOverNetworkThenSign(t *testing.T) {
	seeds := int64(3)
	if os.Getenv("AURA_LONG") == "1" {
		seeds = 100
	}
	for seed := range seeds {
		synctest.Test(t, func(t *testing.T) {
			cryptotest.SetGlobalRandom(t, uint64(seed)+1)
			c := newCluster(t, 5, 5, seed)
			defer c.close()
			log := &linkLog{frames: map[[2]peer.ID][][]byte{}}
			c.net.OnSend(log.tap)
			signed, err := c.svcs[0].Propose(context.Background(), c.newStart(3), c.keys[0], c.peers)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := signed.Session(testNS)
			if err != nil {
				t.Fatal(err)
			}
			receiveStarts(t, c, sess)
			log.mu.Lock()
			clear(log.frames) // count the DKG rounds only
			log.mu.Unlock()
			t0 := time.Now()
			out := c.runAll(sess, []int{0, 1, 2, 3, 4})
			t.Logf("seed %d: 3-of-5 DKG done in %v virtual (10±2 ms links)", seed, time.Since(t0))
			checkAgree(t, out)
			checkLinks(t, c, log)
			signWithStored(t, c, out[0].res.GroupKey, []int{0, 2, 4})
		})
	}
}

func checkAgree(t *testing.T, out map[int]outcome) {
	t.Helper()
	for i := range len(out) {
		o := out[i]
		if o.err != nil {
			t.Fatalf("member %d: %v", i+1, o.err)
		}
		if o.res.GroupKey != out[0].res.GroupKey || !maps.Equal(o.res.VerShares, out[0].res.VerShares) ||
			o.res.TranscriptHash != out[0].res.TranscriptHash {
			t.Fatalf("member %d disagrees", i+1)
		}
	}
}

// checkLinks: every directed link carries exactly round 1, round 2 and a
// confirm, and the round 2 names the link's destination.
func checkLinks(t *testing.T, c *cluster, l *linkLog) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, src := range c.peers {
		for j, dst := range c.peers {
			if i == j {
				continue
			}
			fs := l.frames[[2]peer.ID{src, dst}]
			if len(fs) != 3 {
				t.Fatalf("link %d→%d carried %d DKG frames, want 3", i+1, j+1, len(fs))
			}
			kinds := map[byte]int{}
			for _, b := range fs {
				f, err := DecodeFrame(b)
				if err != nil {
					t.Fatal(err)
				}
				kinds[f.Data[0]]++
				if f.Data[0] == dkg.KindRound2 {
					m, _ := dkg.DecodeRound2(f.Data)
					if m.From != uint16(i+1) || m.To != uint16(j+1) {
						t.Fatalf("round 2 %d→%d on link %d→%d", m.From, m.To, i+1, j+1)
					}
				}
			}
			if kinds[dkg.KindRound1] != 1 || kinds[dkg.KindRound2] != 1 || kinds[dkg.KindConfirm] != 1 {
				t.Fatalf("link %d→%d kinds %v", i+1, j+1, kinds)
			}
		}
	}
}

// signWithStored loads the listed members' sealed shares and signs.
func signWithStored(t *testing.T, c *cluster, gk [32]byte, who []int) {
	t.Helper()
	ns, _ := NamespaceOf(testNS)
	var signers []*frostx.Signer
	var com *frostx.Committee
	for _, i := range who {
		sh, err := LoadShare(context.Background(), c.ds[i], ns, 2, c.keys[i].Seed())
		if err != nil {
			t.Fatalf("member %d: %v", i+1, err)
		}
		if com, err = sh.Committee(); err != nil {
			t.Fatal(err)
		}
		sg, err := frostx.NewSigner(com, sh.KeyShare)
		if err != nil {
			t.Fatalf("member %d: %v", i+1, err)
		}
		signers = append(signers, sg)
	}
	msg := []byte("aura dkg over the network")
	var pkg []frostx.Commitment
	for _, s := range signers {
		cm, err := s.Commit()
		if err != nil {
			t.Fatal(err)
		}
		pkg = append(pkg, cm)
	}
	var shares []frostx.Share
	for _, s := range signers {
		sh, err := s.Sign(msg, pkg)
		if err != nil {
			t.Fatal(err)
		}
		shares = append(shares, sh)
	}
	sig, err := com.Aggregate(msg, shares, pkg)
	if err != nil {
		t.Fatal(err)
	}
	if err := frostx.Verify(gk, msg, sig); err != nil {
		t.Fatalf("aggregate does not verify: %v", err)
	}
	sig[5] ^= 1
	if frostx.Verify(gk, msg, sig) == nil {
		t.Fatal("tampered signature verifies")
	}
}

// TestDKGSilentMemberTimesOut: member 5 never runs; after DKGTimeout
// (virtual 60 s) every other member ends with ErrDKGTimeout naming 5.
func TestDKGSilentMemberTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 7)
		c := newCluster(t, 5, 4, 7)
		defer c.close()
		start := c.newStart(3)
		sess, err := start.Session(testNS)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		out := c.runAll(sess, []int{0, 1, 2, 3})
		checkSilent(t, out, []uint16{5})
		if el := time.Since(t0); el < DefaultTimeout || el > DefaultTimeout+time.Second {
			t.Fatalf("ended after %v, want DKGTimeout", el)
		}
		for i := range 4 {
			if c.met[i].get(func(m *countMetrics) int { return m.outcomes["timeout"] }) != 1 {
				t.Fatalf("member %d: timeout not counted", i+1)
			}
		}
	})
}

func checkSilent(t *testing.T, out map[int]outcome, want []uint16) {
	t.Helper()
	for i, o := range out {
		if !errors.Is(o.err, dkg.ErrDKGTimeout) {
			t.Fatalf("member %d: err %v, want ErrDKGTimeout", i+1, o.err)
		}
		if miss, _ := timeoutMissing(o.err); !slices.Equal(miss, want) {
			t.Fatalf("member %d: missing %v, want %v", i+1, miss, want)
		}
	}
}

// TestDKGGarbageFramesReset: member 5 sends garbage frames instead of
// DKG messages; each receiver resets the stream and counts (metric and
// Reporter) one misbehaviour, and the DKG times out naming 5.
func TestDKGGarbageFramesReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 9)
		c := newCluster(t, 5, 4, 9)
		defer c.close()
		start := c.newStart(3)
		sess, err := start.Session(testNS)
		if err != nil {
			t.Fatal(err)
		}
		resets := make(chan error, 4)
		for j := range 4 {
			st, err := c.nodes[4].Open(context.Background(), c.peers[j], protocols.DKG)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.WriteFrame([]byte{0xff, 0xff, 0xff, 0x01, byte(j)}); err != nil {
				t.Fatal(err)
			}
			go func() { _, err := st.ReadFrame(); resets <- err }()
		}
		out := c.runAll(sess, []int{0, 1, 2, 3})
		checkSilent(t, out, []uint16{5})
		for range 4 {
			if err := <-resets; !errors.Is(err, p2p.ErrStreamReset) {
				t.Fatalf("garbage stream: %v, want reset", err)
			}
		}
		for j := range 4 {
			if c.met[j].get(func(m *countMetrics) int { return m.misbeh[KindUndecodable] }) != 1 || c.rep[j].n() != 1 {
				t.Fatalf("member %d: misbehaviour not counted once", j+1)
			}
		}
	})
}

// TestDKGStartAuthorisation: a DKGStart whose proposer is listed but not a
// current member is refused; one signed by a key outside the member list
// is a misbehaviour; neither reaches Starts.
func TestDKGStartAuthorisation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, 3, 0, 3)
		defer c.close()
		c.start(0, AuthoriseKeys(pubOf(c.keys[0]), pubOf(c.keys[1]))) // member 3 is not current
		c.start(1, nil)                                               // no Authorise: fail closed
		c.start(2, AuthoriseKeys(pubOf(c.keys[0]), pubOf(c.keys[1])))
		start := c.newStart(2)
		if _, err := c.svcs[2].Propose(context.Background(), start, c.keys[2], c.peers); err != nil {
			t.Fatal(err)
		}
		forged := start
		forged.Sign(deviceKey(9)) // not a listed member
		sendStart(t, c, 2, 0, forged)
		c.net.Advance(time.Second)
		if n := c.met[0].get(func(m *countMetrics) int { return m.refused }); n != 1 {
			t.Fatalf("member 1 refused %d starts, want 1", n)
		}
		if n := c.met[1].get(func(m *countMetrics) int { return m.refused }); n != 1 {
			t.Fatalf("member 2 (no Authorise) refused %d, want 1", n)
		}
		if n := c.met[0].get(func(m *countMetrics) int { return m.misbeh[KindBadStart] }); n != 1 {
			t.Fatalf("forged start counted %d times, want 1", n)
		}
		for i := range 2 {
			if len(c.svcs[i].Starts()) != 0 {
				t.Fatalf("member %d accepted a start", i+1)
			}
		}
		// The same start from a current member is accepted.
		if _, err := c.svcs[1].Propose(context.Background(), start, c.keys[1], c.peers); err != nil {
			t.Fatal(err)
		}
		c.net.Advance(time.Second)
		if len(c.svcs[0].Starts()) != 1 {
			t.Fatal("start from a current member not accepted")
		}
	})
}

// sendStart writes a DKGStart frame from cluster member from to member to.
func sendStart(t *testing.T, c *cluster, from, to int, s Start) {
	t.Helper()
	frame, err := marshal(startPBFrame(&s))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.svcs[from].sendOnce(context.Background(), c.peers[to], [16]byte{}, frame); err != nil {
		t.Fatal(err)
	}
}

// TestCloseCancelsRun: closing the service ends a running DKG with
// ErrClosed and waits for its writers.
func TestCloseCancelsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 5)
		c := newCluster(t, 3, 1, 5)
		defer c.close()
		start := c.newStart(2)
		sess, err := start.Session(testNS)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := c.svcs[0].Run(context.Background(), sess, c.peers, 1, c.keys[0])
			done <- err
		}()
		c.net.Advance(time.Second)
		if err := c.svcs[0].Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Fatalf("Run after Close: %v, want ErrClosed", err)
		}
		if _, err := c.svcs[0].Run(context.Background(), sess, c.peers, 1, c.keys[0]); !errors.Is(err, ErrClosed) {
			t.Fatalf("Run on a closed service: %v", err)
		}
	})
}
