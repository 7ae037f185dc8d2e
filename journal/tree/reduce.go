package tree

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/aura-p2p/aura-p2p/consensus"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Config configures a Reducer. The zero value is ready: no metrics, logs
// discarded.
type Config struct {
	// Metrics receives counters; nil means NopMetrics.
	Metrics Metrics
	// Logger receives debug lines about inert commits; nil discards.
	Logger *slog.Logger
}

// Reducer reduces authority namespaces to their TreeState by the chain
// walk of SPEC §4, caching valid(c, S) per (EntryID, parent Root) across
// reductions so a re-reduction evaluates only commits it has not seen
// (SPEC §17.28). The caches only grow (v1 has no GC, SPEC §3); one Reducer
// may serve every authority. Safe for concurrent use: Reduce calls are
// serialised.
type Reducer struct {
	mu      sync.Mutex
	m       Metrics
	log     *slog.Logger
	parsed  map[journal.EntryID]*commit // nil value: not a decodable tree commit
	valid   map[validKey]bool
	genesis map[journal.EntryID]*TreeState // nil value: invalid Genesis
	evals   uint64
}

type validKey struct {
	entry journal.EntryID
	root  [32]byte
}

// commit is a decoded authority tree commit.
type commit struct {
	entry    journal.EntryID
	bodyHash [32]byte
	fact     consensus.CommitFact
	op       *TreeOp
	opHash   [32]byte
}

// NewReducer returns a Reducer with empty caches.
func NewReducer(cfg Config) *Reducer {
	r := &Reducer{m: cfg.Metrics, log: cfg.Logger,
		parsed: map[journal.EntryID]*commit{}, valid: map[validKey]bool{},
		genesis: map[journal.EntryID]*TreeState{}}
	if r.m == nil {
		r.m = NopMetrics{}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// Evaluations is the number of uncached valid(c, S) evaluations so far:
// the test hook of SPEC §16.42.
func (r *Reducer) Evaluations() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.evals
}

// Reduce is the pure reduction of authority namespace ns's entry set
// (any order, duplicates allowed; entries of another namespace fail with
// journal.ErrNamespaceMismatch). Only Genesis and Commit entries are
// read for the tree; DevicePeer and FlowCharge entries become
// Result.Registers, validated at the tip's leaves. Without a valid Genesis
// the Result has no State, every commit is Superseded (or Malformed) and
// every register is inert.
func (r *Reducer) Reduce(ns journal.Namespace, entries []journal.Entry) (*Result, error) {
	if ns.Kind != journal.KindAuthority {
		return nil, fmt.Errorf("%w: tree reduces authority namespaces only", journal.ErrNamespaceMismatch)
	}
	sorted, err := sortEntries(ns, entries)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	w := &walk{r: r, auth: journal.AuthorityID(ns.ID), res: &Result{Authority: journal.AuthorityID(ns.ID)},
		index: map[parentKey][]*commit{}, status: map[journal.EntryID]Status{}}
	w.collect(sorted)
	if w.res.State != nil {
		w.run()
	}
	w.report()
	var devs []journal.AuthorityDevice
	if w.res.State != nil {
		devs = devicesOf(w.res.State)
	}
	w.res.Registers = journal.ReduceAuthorityRegisters(devs, MaxDevices, sorted)
	return w.res, nil
}

func sortEntries(ns journal.Namespace, entries []journal.Entry) ([]journal.Entry, error) {
	out := slices.Clone(entries)
	for i := range out {
		if out[i].Fact.NS != ns {
			return nil, journal.ErrNamespaceMismatch
		}
	}
	slices.SortFunc(out, func(a, b journal.Entry) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return slices.CompactFunc(out, func(a, b journal.Entry) bool { return a.ID == b.ID }), nil
}

type parentKey struct {
	epoch uint64
	root  [32]byte
}

// walk is one reduction's scratch state.
type walk struct {
	r       *Reducer
	auth    journal.AuthorityID
	res     *Result
	commits []*commit // ascending EntryID
	index   map[parentKey][]*commit
	status  map[journal.EntryID]Status
}

// collect picks the Genesis and indexes the decodable commits by
// (ParentEpoch, ParentRoot), in ascending EntryID.
func (w *walk) collect(entries []journal.Entry) {
	var gen *journal.Entry
	for i := range entries {
		e := &entries[i]
		switch e.Fact.Type {
		case journal.TypeGenesis:
			if w.r.genesisOK(e) && (gen == nil || bytes.Compare(e.BodyHash[:], gen.BodyHash[:]) < 0) {
				gen = e
			}
		case journal.TypeCommit:
			w.addCommit(e)
		}
	}
	if gen != nil {
		g := gen.Body.(*journal.AuthorityGenesis)
		w.res.State, w.res.Genesis, w.res.GenesisTimeMs = w.r.genesis[gen.ID], gen.ID, g.GenesisTimeMs
	}
}

// genesisOK validates (cached) a Genesis entry.
func (r *Reducer) genesisOK(e *journal.Entry) bool {
	if s, ok := r.genesis[e.ID]; ok {
		return s != nil
	}
	g, ok := e.Body.(*journal.AuthorityGenesis)
	var s *TreeState
	if ok && e.Fact.Schema == journal.SchemaV1 {
		var err error
		if s, err = GenesisState(e.Fact.NS, g); err != nil {
			r.log.Debug("tree: genesis inert", "entry", e.ID.String(), "err", err)
		}
	}
	r.genesis[e.ID] = s
	return s != nil
}

func (w *walk) addCommit(e *journal.Entry) {
	c := w.r.parse(e)
	if c == nil {
		w.status[e.ID] = StatusMalformed
		return
	}
	w.commits = append(w.commits, c)
	k := parentKey{c.op.ParentEpoch, c.op.ParentRoot}
	w.index[k] = append(w.index[k], c)
}

// parse decodes (cached) a Commit entry carrying a TreeOp.
func (r *Reducer) parse(e *journal.Entry) *commit {
	if c, ok := r.parsed[e.ID]; ok {
		return c
	}
	var c *commit
	if f, err := consensus.CommitFromFact(e.Fact); err == nil {
		if op, err := DecodeTreeOp(f.Op); err == nil {
			c = &commit{entry: e.ID, bodyHash: e.BodyHash, fact: f, op: op, opHash: op.OpHash()}
		}
	}
	r.parsed[e.ID] = c
	return c
}

// run is the chain walk of SPEC §4: from the Genesis state, repeatedly
// apply the valid child of the current (Epoch, Root) with the largest
// OpHash, then the smaller cid, then the smaller H(body).
func (w *walk) run() {
	s := w.res.State
	for {
		var best *commit
		var bestPost *TreeState
		for _, c := range w.index[parentKey{s.Epoch, s.Root}] {
			ok, post := w.r.validAt(w.auth, s, c)
			if !ok {
				w.status[c.entry] = StatusInvalid
				continue
			}
			if best == nil || beats(c, best) {
				best, bestPost = c, post
			}
		}
		if best == nil {
			w.res.State = s
			return
		}
		if bestPost == nil {
			bestPost = w.r.apply(w.auth, s, best)
		}
		w.status[best.entry] = StatusApplied
		w.res.Applied = append(w.res.Applied, best.entry)
		s = bestPost
	}
}

// beats orders valid children of one parent: larger OpHash, then smaller
// cid, then smaller H(body) (variants of one FactID).
func beats(a, b *commit) bool {
	if c := bytes.Compare(a.opHash[:], b.opHash[:]); c != 0 {
		return c > 0
	}
	if c := bytes.Compare(a.fact.CID[:], b.fact.CID[:]); c != 0 {
		return c < 0
	}
	return bytes.Compare(a.bodyHash[:], b.bodyHash[:]) < 0
}

// apply re-executes a commit whose validity at s is cached; its DKG data
// was checked when it was evaluated, so only the cheap rules run.
func (r *Reducer) apply(auth journal.AuthorityID, s *TreeState, c *commit) *TreeState {
	post, err := execute(auth, s, c.op, false)
	if err != nil {
		panic(fmt.Sprintf("tree: cached-valid commit no longer executes: %v", err)) // broken invariant
	}
	return post
}

// validAt is valid(c, S), cached per (EntryID, S.Root). A fresh
// evaluation also returns the post state; a cached one returns nil.
func (r *Reducer) validAt(auth journal.AuthorityID, s *TreeState, c *commit) (bool, *TreeState) {
	k := validKey{c.entry, s.Root}
	if ok, hit := r.valid[k]; hit {
		return ok, nil
	}
	r.evals++
	sc := &recScope{Scope: NewScope(auth, s)}
	err := consensus.VerifyCommit(&c.fact, sc)
	ok := err == nil && sc.post != nil
	r.valid[k] = ok
	r.m.ValidEvaluated(ok)
	if !ok {
		r.log.Debug("tree: commit inert", "entry", c.entry.String(), "err", err)
		return false, nil
	}
	return true, sc.post
}

// recScope is a Scope that keeps the post state of the last successful
// Execute (single goroutine, inside validAt only).
type recScope struct {
	*Scope
	post *TreeState
}

func (sc *recScope) Execute(op []byte) ([32]byte, error) {
	post, err := sc.Scope.execute(op, true)
	if err != nil {
		sc.post = nil
		return [32]byte{}, err
	}
	sc.post = post
	return post.Root, nil
}

// report fills the per-commit statuses in ascending EntryID: commits not
// applied and not found invalid at their chain parent are Superseded.
func (w *walk) report() {
	var n [5]int
	for _, c := range w.commits {
		st := w.status[c.entry]
		if st == 0 {
			st = StatusSuperseded
		}
		n[st]++
		w.res.Commits = append(w.res.Commits, CommitReport{Entry: c.entry, CID: c.fact.CID,
			OpHash: c.opHash, ParentEpoch: c.op.ParentEpoch, Status: st})
	}
	for id, st := range w.status {
		if st == StatusMalformed {
			w.res.Commits = append(w.res.Commits, CommitReport{Entry: id, Status: st})
			n[st]++
		}
	}
	slices.SortFunc(w.res.Commits, func(a, b CommitReport) int { return bytes.Compare(a.Entry[:], b.Entry[:]) })
	w.r.m.Reduced(n[StatusApplied], n[StatusSuperseded], n[StatusInvalid], n[StatusMalformed])
}
