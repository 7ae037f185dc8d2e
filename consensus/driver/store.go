package driver

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/journal"
)

// voteRoot prefixes vote-log keys: /aura/c/vote/<hex cid>/<hex pre> → rid
// (SPEC §3).
const voteRoot = "/aura/c/vote"

// VoteKey is the datastore key of the vote for (cid, pre).
func VoteKey(cid, pre [32]byte) ds.Key {
	return ds.RawKey(voteRoot + "/" + hex.EncodeToString(cid[:]) + "/" + hex.EncodeToString(pre[:]))
}

// LoadVotes reads the whole vote log (SPEC §5.10: it survives restarts).
// A malformed record is an error: the vote log fails closed.
func LoadVotes(ctx context.Context, d ds.Datastore) ([]consensus.VoteRecord, error) {
	res, err := d.Query(ctx, query.Query{Prefix: voteRoot})
	if err != nil {
		return nil, err
	}
	ents, err := res.Rest()
	if err != nil {
		return nil, err
	}
	out := make([]consensus.VoteRecord, 0, len(ents))
	for _, e := range ents {
		v, err := parseVote(e.Key, e.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func parseVote(key string, val []byte) (consensus.VoteRecord, error) {
	var v consensus.VoteRecord
	rest, ok := strings.CutPrefix(key, voteRoot+"/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 2 || len(val) != 32 || !unhex32(parts[0], v.CID[:]) || !unhex32(parts[1], v.PrestateHash[:]) {
		return v, fmt.Errorf("%w: vote record %q", ErrJournal, key)
	}
	v.RID = [32]byte(val)
	return v, nil
}

func unhex32(s string, dst []byte) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.Decode(dst, []byte(s))
	return err == nil
}

// LoadCommits returns the Commit facts of ns stored in j (the decided set).
func LoadCommits(ctx context.Context, j *journal.Journal, ns journal.Namespace) ([]consensus.CommitFact, error) {
	ents, err := j.Store().Entries(ctx, ns)
	if err != nil {
		return nil, err
	}
	var out []consensus.CommitFact
	for _, e := range ents {
		if e.Fact.Type != journal.TypeCommit {
			continue
		}
		if f, err := consensus.DecodeCommitFact(e.Fact.Body); err == nil {
			out = append(out, f)
		}
	}
	return out, nil
}

// durable is one Ready's durable part as a flow.Stager: vote-log puts and
// one journal FactStage (Commit and Equivocation facts). It joins the
// JournalCoupler batch of the first gated send of its Ready, or commits
// alone through Executor.CommitStaged.
type durable struct {
	votes []consensus.VoteRecord
	facts *journal.FactStage
	gate  *gate
}

func newDurable(j *journal.Journal, ns journal.Namespace, rd *consensus.Ready, g *gate) (*durable, error) {
	d := &durable{votes: rd.VoteWrites, gate: g}
	var ents []journal.Entry
	now := time.Now()
	for i := range rd.Commits {
		e, err := j.Checker().Ingress(rd.Commits[i].Fact().Canonical(), now)
		if err != nil {
			return nil, fmt.Errorf("%w: commit fact: %w", ErrJournal, err)
		}
		ents = append(ents, e)
	}
	for i := range rd.Evidence {
		e, err := j.Checker().Ingress(rd.Evidence[i].Fact(ns).Canonical(), now)
		if err != nil {
			return nil, fmt.Errorf("%w: equivocation fact: %w", ErrJournal, err)
		}
		ents = append(ents, e)
	}
	if len(ents) > 0 {
		fs := j.Stage(ns, ents...)
		d.facts = &fs
	}
	return d, nil
}

// Stage puts the vote records and stages the facts into w.
func (d *durable) Stage(ctx context.Context, w ds.Write) error {
	for _, v := range d.votes {
		if err := w.Put(ctx, VoteKey(v.CID, v.PrestateHash), v.RID[:]); err != nil {
			return err
		}
	}
	if d.facts != nil {
		return d.facts.Stage(ctx, w)
	}
	return nil
}

// Finish releases the journal and opens (or fails) the Ready's gate.
func (d *durable) Finish(committed bool) {
	if d.facts != nil {
		d.facts.Finish(committed)
	}
	d.gate.settle(committed)
}

var _ flow.Finisher = (*durable)(nil)
