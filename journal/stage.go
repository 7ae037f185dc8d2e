package journal

import (
	"context"
	"sync"

	ds "github.com/ipfs/go-datastore"
)

// FactStage stages entries of one namespace into a caller's batch: the
// guard chain's JournalCoupler (SPEC §6.4 step 4) commits a send's
// facts in the same synced batch as its charge record. Its method set
// matches flow.Stager and flow.Finisher (journal does not import flow):
//
//	snd.Open(...).WriteFrame(ctx, flow.Msg{..., Stage: []flow.Stager{j.Stage(ns, e)}})
//
// Stage takes the Store's write lock (the single owner of every
// register read-modify-write, SPEC §3) and holds it until Finish, so
// the register join it staged cannot be overtaken before the batch
// commits. Hence at most one FactStage of a journal per batch (With adds
// further namespaces to it), and Finish must follow every Stage that
// returned nil (the flow executor always calls it).
type FactStage struct{ p *factStage }

type factStage struct {
	j      *Journal
	groups []stageGroup

	mu     sync.Mutex
	used   bool
	locked bool
}

// stageGroup is the entries of one namespace and, once staged, how many
// of them the batch stores.
type stageGroup struct {
	ns      Namespace
	entries []Entry
	stored  int
}

// Stage returns a FactStage for entries of ns. Each entry must have
// passed Checker.Ingress with a nil error (as for Put). Membership and
// namespace are checked when the batch is staged.
func (j *Journal) Stage(ns Namespace, entries ...Entry) FactStage {
	return FactStage{p: &factStage{j: j}}.With(ns, entries...)
}

// With adds entries of another namespace to f (same batch, one lock)
// and returns f. Call it before f is staged.
func (f FactStage) With(ns Namespace, entries ...Entry) FactStage {
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	f.p.groups = append(f.p.groups, stageGroup{ns: ns, entries: append([]Entry(nil), entries...)})
	return f
}

// Stage puts the entries' keys (and deletes of register bodies they
// replace) into w and locks the Store until Finish. A non-member
// namespace is ErrNotMember, an entry of another namespace
// ErrNamespaceMismatch, a second use ErrStageUsed; on error nothing
// stays locked.
func (f FactStage) Stage(ctx context.Context, w ds.Write) error {
	p := f.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.used {
		return ErrStageUsed
	}
	p.used = true
	for _, g := range p.groups {
		if !p.j.IsMember(g.ns) {
			p.j.cfg.Metrics.EntriesRefused("not_member", len(g.entries))
			return ErrNotMember
		}
	}
	s := p.j.store
	s.mu.Lock()
	for i := range p.groups {
		g := &p.groups[i]
		n, err := s.stage(ctx, w, g.ns, g.entries)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		g.stored = n
	}
	p.locked = true
	return nil
}

// Finish releases the Store after the batch committed (true: the
// entries are acknowledged, Version rises) or failed (false: nothing
// was written). It is a no-op without a successful Stage.
func (f FactStage) Finish(committed bool) {
	p := f.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.locked {
		return
	}
	p.locked = false
	s := p.j.store
	if committed {
		for _, g := range p.groups {
			s.committed(g.ns, g.stored)
		}
	}
	s.mu.Unlock()
}

// Version is Store.Version(ns).
func (j *Journal) Version(ns Namespace) uint64 { return j.store.Version(ns) }
