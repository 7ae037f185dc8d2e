package flow

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"sync"

	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/guard"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// sendParams are the per-send values the executor's write needs.
type sendParams struct {
	signer    ed25519.PrivateKey
	tokenHash [32]byte
}

// frame is the bytes to write for charge c: the bare frame, or the frame
// with its signed receipt attached.
func (p *sendParams) frame(m Msg, c guard.Charge) []byte {
	if c.Receipt == nil {
		return m.Frame
	}
	attach := m.Attach
	if attach == nil {
		attach = AppendReceiptFields
	}
	return attach(m.Frame, c.Receipt.Canonical(), p.tokenHash)
}

// contextSnapshot is step 0 for a context-scope frame: the view of (Ctx,
// Dst), the capability need, the cost, the selected frontier, the frozen
// slot table and the receipt parameters.
func (s *Sender) contextSnapshot(m Msg, proto protocol.ID) (*guard.Snapshot, *sendParams, error) {
	// State errors are not wrapped: their text may name the context.
	id, err := s.st.Identity()
	if err != nil {
		return nil, nil, &guard.DenialError{Stage: guard.StageSnapshot, Err: guard.ErrBadSnapshot}
	}
	view, err := s.st.Context(m.Ctx, m.Dst)
	if err != nil {
		return nil, nil, &guard.DenialError{Stage: guard.StageCap, Err: ErrUnknownContext}
	}
	need, cost, err := priceWith(m.Kind, m.Need, len(m.Frame), m.Override)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.fr.selectGrant(view.Grants, id.Authority, m.Ctx, view.Epoch, view.PeerKey, view.Default)
	if err != nil {
		return nil, nil, &guard.DenialError{Stage: guard.StageCap, Err: err}
	}
	slots, err := s.sl.table(m.Ctx, m.Dst, view.Epoch, f.Limit, view.Leaves, view.SelfLeaf)
	if err != nil {
		return nil, nil, &guard.DenialError{Stage: guard.StageSnapshot, Err: fmt.Errorf("%w: %w", guard.ErrBadSnapshot, err)}
	}
	ph := receipt.PayloadHash(string(proto), m.Frame)
	if m.Override.PayloadHash != ([32]byte{}) {
		ph = m.Override.PayloadHash
	}
	snap := &guard.Snapshot{Ctx: m.Ctx, Dst: m.Dst, Epoch: view.Epoch, Need: need, Cost: cost,
		Frontier: f, Slots: slots, Receipt: &guard.ReceiptParams{Src: id.Authority, Device: id.Device,
			Secret: id.Secret, Prev: receipt.Root(m.Ctx, ph), PayloadHash: ph}}
	return snap, &sendParams{signer: view.SelfKey, tokenHash: f.TokenHash}, nil
}

// price is the capability need and §6.2 cost of a frame of kind with n
// bytes (without receipt). Envelopes take need from the caller.
func price(kind budget.Msg, envNeed string, n int) (string, uint32, error) {
	need, ok := guard.Need(kind)
	if !ok {
		if kind != budget.MsgEnvelope || envNeed == "" {
			return "", 0, &guard.DenialError{Stage: guard.StageSnapshot, Err: ErrBadMessage}
		}
		need = envNeed
	}
	cost, err := budget.Cost(kind, n)
	if err != nil {
		return "", 0, &guard.DenialError{Stage: guard.StageSnapshot, Err: fmt.Errorf("%w: %w", ErrBadMessage, err)}
	}
	return need, cost, nil
}

// priceWith is price adjusted by o: a fixed cost in [1, MaxFrameCost]
// and no capability for answers.
func priceWith(kind budget.Msg, envNeed string, n int, o Override) (string, uint32, error) {
	need, cost, err := price(kind, envNeed, n)
	if err != nil {
		return "", 0, err
	}
	if o.Cost != 0 {
		if o.Cost > budget.MaxFrameCost {
			return "", 0, &guard.DenialError{Stage: guard.StageSnapshot, Err: ErrBadMessage}
		}
		cost = o.Cost
	}
	if o.Answer {
		need = ""
	}
	return need, cost, nil
}

// TokenHash is H(token) of the grant this authority would present to dst
// in ctx now (zero: the Genesis default), for protocols that carry the
// token hash inside a sealed box (sync Hello, SPEC §9).
func (s *Sender) TokenHash(ctx journal.ContextID, dst journal.AuthorityID) ([32]byte, error) {
	id, err := s.st.Identity()
	if err != nil {
		return [32]byte{}, ErrUnknownContext
	}
	view, err := s.st.Context(ctx, dst)
	if err != nil {
		return [32]byte{}, ErrUnknownContext
	}
	f, err := s.fr.selectGrant(view.Grants, id.Authority, ctx, view.Epoch, view.PeerKey, view.Default)
	if err != nil {
		return [32]byte{}, err
	}
	return f.TokenHash, nil
}

// frontiers selects grants through one capability cache (SPEC §6.1).
type frontiers struct {
	mu     sync.Mutex
	cache  *cap.Cache
	auth   cap.Native
	policy cap.Policy
	m      Metrics
}

func newFrontiers(cfg Config) *frontiers {
	return &frontiers{cache: cap.NewCache(cfg.CapCacheSize), auth: cap.Native{Policy: cfg.Policy},
		policy: cfg.Policy, m: cfg.Metrics}
}

// selectGrant is cap.SelectGrant through the cache: among grants valid for
// presenter under issuer, the largest Granted wins, tie → smaller
// TokenHash; none ⇒ the Genesis default under the local policy.
func (f *frontiers) selectGrant(grants [][]byte, presenter journal.AuthorityID, ctx journal.ContextID,
	epoch uint64, issuer [32]byte, def cap.Default) (cap.Frontier, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var best cap.Frontier
	found := false
	for _, g := range grants {
		fr, ok := f.authorize(g, presenter, ctx, epoch, issuer)
		if ok && (!found || better(fr, best)) {
			best, found = fr, true
		}
	}
	if found {
		return best, nil
	}
	return cap.DefaultFrontier(def, f.policy)
}

// byHash returns the frontier of the grant whose H(token) is h (zero h:
// the Genesis default), verified for presenter under issuer.
func (f *frontiers) byHash(grants [][]byte, h [32]byte, presenter journal.AuthorityID, ctx journal.ContextID,
	epoch uint64, issuer [32]byte, def cap.Default) (cap.Frontier, error) {
	if h == ([32]byte{}) {
		return cap.DefaultFrontier(def, f.policy)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range grants {
		if canon.HPlain(g) != h {
			continue
		}
		if fr, ok := f.authorize(g, presenter, ctx, epoch, issuer); ok {
			return fr, nil
		}
	}
	return cap.Frontier{}, ErrUnknownContext
}

func (f *frontiers) authorize(g []byte, presenter journal.AuthorityID, ctx journal.ContextID,
	epoch uint64, issuer [32]byte) (cap.Frontier, bool) {
	fr, hit, err := f.cache.Authorize(f.auth, g, presenter, ctx, epoch, issuer, 0)
	if hit {
		f.m.CapCacheHit()
	}
	return fr, err == nil
}

func better(f, than cap.Frontier) bool {
	if f.Granted != than.Granted {
		return f.Granted > than.Granted
	}
	return bytes.Compare(f.TokenHash[:], than.TokenHash[:]) < 0
}

// slotTables holds the frozen slot table of each (ctx, dst) for its
// latest flow epoch (SPEC §6.2): frozen on first use in an epoch,
// recomputed only when the limit rises.
type slotTables struct {
	mu sync.Mutex
	m  map[ctxDst]budget.SlotTable
}

type ctxDst struct {
	ctx journal.ContextID
	dst journal.AuthorityID
}

func newSlotTables() *slotTables { return &slotTables{m: map[ctxDst]budget.SlotTable{}} }

func (s *slotTables) table(ctx journal.ContextID, dst journal.AuthorityID, epoch, limit uint64,
	leaves []uint32, self uint32) (budget.SlotTable, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := ctxDst{ctx, dst}
	if t, ok := s.m[k]; ok && t.Epoch == epoch {
		t = t.WithLimit(limit)
		s.m[k] = t
		return t, nil
	}
	t, err := budget.Freeze(epoch, limit, leaves, self)
	if err != nil {
		return budget.SlotTable{}, err
	}
	if old, ok := s.m[k]; !ok || old.Epoch < epoch {
		s.m[k] = t
	}
	return t, nil
}
