package devnet

import (
	"context"
	"encoding/hex"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/journal/sync/syncdevnet"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// journalWrites is how many facts each peer writes in the journals step.
const journalWrites = 5

// JournalsStep has every peer join one static context (SPEC §7.1 step 4′),
// write journalWrites facts, and run anti-entropy (/aura/sync/1.0.0)
// until every peer holds the same entry set; it prints each peer's entry
// count and digest and fails if they differ at the deadline.
func JournalsStep(ctx context.Context, d *Devnet) error {
	trs := make([]p2p.Transport, 0, d.N())
	for _, p := range d.Peers {
		trs = append(trs, devnetSync{p.Host})
	}
	timeout := 30 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	res, err := syncdevnet.Run(ctx, trs, syncdevnet.Options{Writes: journalWrites, Timeout: timeout})
	if err != nil {
		return err
	}
	d.printJournals(res)
	d.Note("journals: %d entries on %d peers, converged=%v in %s", res.Want, len(res.Peers), res.Converged, round(res.Elapsed))
	if !res.Converged {
		return fmt.Errorf("journals did not converge: want %d entries on every peer", res.Want)
	}
	return nil
}

func (d *Devnet) printJournals(res syncdevnet.Result) {
	w := tabwriter.NewWriter(d.Out(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PEER\tENTRIES\tDIGEST")
	for _, p := range res.Peers {
		id := p.Peer.String()
		fmt.Fprintf(w, "%s\t%d\t%s\n", id[len(id)-8:], p.Count, hex.EncodeToString(p.Digest[:8]))
	}
	w.Flush()
}

// devnetSyncProto is the protocol the journals step's own sync services
// speak: the nodes' authority services already serve protocols.Sync on
// the same hosts, and a second handler would replace theirs (and its
// Close remove it).
const devnetSyncProto protocol.ID = "/aura/devnet/sync/1.0.0"

// devnetSync is a host whose protocols.Sync streams are devnetSyncProto
// streams; everything else (liveness, misbehaviour reports) is the host.
type devnetSync struct{ *p2p.Host }

func rename(proto protocol.ID) protocol.ID {
	if proto == protocols.Sync {
		return devnetSyncProto
	}
	return proto
}

func (t devnetSync) Open(ctx context.Context, p peer.ID, proto protocol.ID) (p2p.Stream, error) {
	return t.Host.Open(ctx, p, rename(proto))
}

func (t devnetSync) Handle(proto protocol.ID, h p2p.StreamHandler) { t.Host.Handle(rename(proto), h) }

func (t devnetSync) RemoveHandler(proto protocol.ID) { t.Host.RemoveHandler(rename(proto)) }
