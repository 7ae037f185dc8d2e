package flow

import (
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"

	dsq "github.com/ipfs/go-datastore/query"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
)

// TestChargeBeforeSendAudit is SPEC §16.17: 8 concurrent senders, 2
// budget keys (bob, carol), stream frames plus topic publishes and
// forwards. Taps outside the guard chain — on the transport (every
// WriteFrame and Publish, stamped from a shared sequence) and on
// Batch.Commit (every returned commit, stamped from the same sequence,
// with the charge records and receipt-log nonces it held) — show that
// every frame's nonce is ReceiptNonce(bk, Spent') for a charge record
// Spent' committed before the frame was written, and every topic message
// is covered by an earlier committed topic charge. 10^4 messages on a
// map datastore always, 10^5 with AURA_LONG=1; a real synced Pebble
// variant runs 2·10^3 (10^4 long).
func TestChargeBeforeSendAudit(t *testing.T) {
	long := os.Getenv("AURA_LONG") == "1"
	memN, pebN := 10_000, 2_000
	if long {
		memN, pebN = 100_000, 10_000
	}
	t.Run("map", func(t *testing.T) { runAudit(t, newNode(t, alice, 1_000_000, memDS()), memN) })
	t.Run("pebble", func(t *testing.T) {
		d, err := journal.OpenPebble(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		runAudit(t, newNode(t, alice, 1_000_000, d), pebN)
	})
}

func runAudit(t *testing.T, n *node, total int) {
	const senders = 8
	n.s.cfg.Topics["rdv"] = TopicLimit{Publish: 1 << 40, Forward: 1 << 40}
	if _, err := n.s.Subscribe("rdv", budget.MsgRendezvousForward, nil); err != nil {
		t.Fatal(err)
	}
	fwd := n.tr.vals["rdv"]
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := n.open(t)
			for i := g; i < total; i += senders {
				var err error
				switch {
				case i%10 == 9:
					err = n.s.Publish(bg, "rdv", budget.MsgRendezvousPublish, []byte{byte(i)})
				case i%10 == 8:
					if fwd(bg, "someone", []byte{byte(i)}) != 0 {
						err = fmt.Errorf("forward %d ignored", i)
					}
				default:
					dst := bob.Authority
					if i%2 == 1 {
						dst = carol.Authority
					}
					err = s.WriteFrame(bg, msg(budget.MsgSyncPushOps, ctxA, dst, body(16, byte(i))))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	auditTaps(t, n, total)
	auditRecords(t, n)
}

// auditRecords: the stored charge records equal the last committed
// Spent' per key, and no journal fact was written per charge (FlowCharge
// registers are signed lazily at sync, SPEC §6.4, §16.44).
func auditRecords(t *testing.T, n *node) {
	t.Helper()
	recs, err := n.s.Executor().ChargeRecords(bg)
	if err != nil {
		t.Fatal(err)
	}
	last := map[budget.Key]uint64{}
	for _, c := range n.ds.Commits() {
		for bk, sp := range c.spent {
			last[bk] = max(last[bk], sp)
		}
	}
	if len(recs) != len(last) {
		t.Fatalf("%d stored records, %d committed keys", len(recs), len(last))
	}
	for _, r := range recs {
		if last[r.Key] != r.Spent {
			t.Fatalf("stored record %d, last commit %d", r.Spent, last[r.Key])
		}
	}
	res, err := n.inner.Query(bg, dsq.Query{Prefix: "/aura/j", KeysOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if all, _ := res.Rest(); len(all) != 0 {
		t.Fatalf("%d journal keys written by sends", len(all))
	}
}

// auditTaps checks the transport tap against the commit tap.
func auditTaps(t *testing.T, n *node, total int) {
	t.Helper()
	commits := n.ds.Commits()
	byNonce := map[uint64]commitRec{}
	last := map[budget.Key]uint64{}
	for _, c := range commits { // commits are appended in seq order per key (lock held)
		for bk, sp := range c.spent {
			if sp <= last[bk] {
				t.Fatalf("charge record of %v fell or repeated: %d after %d", bk.Epoch, sp, last[bk])
			}
			last[bk] = sp
		}
		for nonce := range c.nonces {
			if _, dup := byNonce[nonce]; dup {
				t.Fatalf("nonce %x committed twice", nonce)
			}
			byNonce[nonce] = c
		}
	}
	events := n.tr.Events()
	sort.Slice(events, func(i, j int) bool { return events[i].seq < events[j].seq })
	frames, topics := auditFrames(t, events, byNonce)
	auditTopics(t, events, commits)
	if frames+topics != total-total/10 {
		t.Fatalf("transport saw %d frames + %d topic messages, want %d", frames, topics, total-total/10)
	}
}

func auditFrames(t *testing.T, events []tapEvent, byNonce map[uint64]commitRec) (frames, topics int) {
	t.Helper()
	for _, ev := range events {
		if ev.topic != "" {
			topics++
			continue
		}
		frames++
		_, raw, _, err := splitFrame(ev.frame)
		if err != nil {
			t.Fatal(err)
		}
		r, err := receipt.Decode(raw)
		// Signatures are checked on a sample (Ed25519 under -race is slow);
		// the nonce check below covers every frame.
		if err != nil || (frames%16 == 1 && !r.VerifySig(alice.MemberPub)) {
			t.Fatalf("frame %d: bad receipt (%v)", ev.seq, err)
		}
		c, ok := byNonce[r.Nonce]
		if !ok {
			t.Fatalf("frame %d: nonce %x has no committed receipt-log entry", ev.seq, r.Nonce)
		}
		bk := c.nonces[r.Nonce]
		spent := c.spent[bk]
		if receipt.Nonce(alice.AuthoritySecret[:], bk, alice.Device, spent) != r.Nonce {
			t.Fatalf("frame %d: nonce is not ReceiptNonce(bk, committed Spent' %d)", ev.seq, spent)
		}
		if c.seq >= ev.seq {
			t.Fatalf("frame %d written before its charge commit %d returned", ev.seq, c.seq)
		}
	}
	return frames, topics
}

// auditTopics: at every topic write, the committed publish charge of
// its epoch covers all publishes written so far (each costs 1).
func auditTopics(t *testing.T, events []tapEvent, commits []commitRec) {
	t.Helper()
	ci := 0
	var committed uint64
	var written uint64
	for _, ev := range events {
		for ci < len(commits) && commits[ci].seq < ev.seq {
			for bk, sp := range commits[ci].spent {
				if bk.Ctx == budget.TopicCtx("rdv") && bk.Dst == (journal.AuthorityID{}) && sp > committed {
					committed = sp
				}
			}
			ci++
		}
		if ev.topic == "" {
			continue
		}
		written++
		if committed < written {
			t.Fatalf("topic message %d written with only %d units committed", written, committed)
		}
	}
}
