package flow

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	ds "github.com/ipfs/go-datastore"
	dsq "github.com/ipfs/go-datastore/query"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Inbound is a received context-scope frame, decoded by its protocol
// package (SPEC §6.6 "decode → size cap → context lookup").
type Inbound struct {
	Kind budget.Msg
	// Need is the capability of a MsgEnvelope's body type.
	Need string
	// Ctx is the context the frame resolved to (envelope Tag, sync Ref,
	// receipt Ctx).
	Ctx journal.ContextID
	// Frame is the frame without its receipt, as the sender hashed it.
	Frame []byte
	// Receipt is the canonical receipt bytes; TokenHash the frame's.
	Receipt   []byte
	TokenHash [32]byte
	// Override mirrors the sender's Msg.Override (payload hash, cost,
	// answer) for frames the SPEC prices or binds specially.
	Override Override
}

// Receiver is the receive path of SPEC §6.6 after decoding: receipt
// chain, capability, replay and limit. It keeps per-(ctx, src, epoch)
// windows loaded lazily from /aura/f/recv records; an admitted receipt
// reserves its nonce and cost until its batch commits. Safe for
// concurrent use.
type Receiver struct {
	snd *Sender
	v   receipt.Verifier

	mu      sync.Mutex
	windows map[receipt.WindowKey]*window
}

func newReceiver(s *Sender) *Receiver {
	return &Receiver{snd: s, v: receipt.NewVerifier(s.cfg.Receipt), windows: map[receipt.WindowKey]*window{}}
}

// Admission is an accepted inbound receipt whose (nonce, cost) is
// reserved. Stage it into the handler's first synced batch (as a Msg
// Stager, or via Commit when the handler writes and sends nothing) before
// any effect of the frame is stored or sent; Release it if the frame is
// dropped. Advance asks the caller to write FlowEpochAdvance for
// Receipt.Epoch (a next-epoch receipt was accepted).
type Admission struct {
	Receipt receipt.Receipt
	Advance bool
	r       *Receiver
	w       *window
	done    bool
}

// Admit checks in (SPEC §6.6). On any rejection it resets st without
// writing to it, counts the outcome and returns an error wrapping
// ErrReceiptRejected (a *receipt.RejectError for receipt outcomes; its
// Outcome.Misbehaviour says whether to penalise the peer).
func (r *Receiver) Admit(ctx context.Context, st *Stream, in Inbound) (*Admission, error) {
	a, err := r.admit(ctx, st.Protocol(), in)
	if err != nil {
		_ = st.Reset()
		return nil, err
	}
	return a, nil
}

func (r *Receiver) admit(ctx context.Context, proto protocol.ID, in Inbound) (*Admission, error) {
	rc, err := receipt.Decode(in.Receipt)
	if err != nil {
		return nil, r.reject(receipt.BadChain)
	}
	view, err := r.snd.st.Context(in.Ctx, rc.Src)
	if err != nil {
		return nil, r.reject(receipt.ForeignCtx)
	}
	id, err := r.snd.st.Identity()
	if err != nil {
		return nil, r.reject(receipt.ForeignCtx)
	}
	need, cost, err := priceWith(in.Kind, in.Need, len(in.Frame), in.Override)
	if err != nil {
		return nil, r.reject(receipt.BadChain)
	}
	ph := receipt.PayloadHash(string(proto), in.Frame)
	if in.Override.PayloadHash != ([32]byte{}) {
		ph = in.Override.PayloadHash
	}
	x := receipt.Direct(in.Ctx, id.Authority, view.PeerKey, cost, ph)
	clk := receipt.Clock{Current: view.Epoch, Schedule: view.Schedule, NowMs: nowMs(r.snd.cfg.Now)}
	o, adv := r.v.CheckChain(&rc, x, clk)
	if o != receipt.Accepted {
		return nil, r.reject(o)
	}
	limit, err := r.checkCap(&view, &rc, in, need)
	if err != nil {
		return nil, err
	}
	return r.reserve(ctx, &rc, limit, adv)
}

// checkCap is the capability step: the TokenHash token (or the Genesis
// default) permits need at the receipt's epoch for presenter Src, and
// returns the Limit this node granted Src.
func (r *Receiver) checkCap(view *ContextView, rc *receipt.Receipt, in Inbound, need string) (uint64, error) {
	fr := r.snd.fr
	issuer := view.selfPub()
	var err error
	if !in.Override.Answer { // answers need no capability
		var f cap.Frontier
		f, err = fr.byHash(view.Grants, in.TokenHash, rc.Src, in.Ctx, rc.Epoch, issuer, view.Default)
		if err == nil {
			err = f.Permits(need, rc.Epoch)
		}
	}
	if err != nil {
		r.snd.cfg.Metrics.GuardDecision(StageRecvCap, Denied)
		return 0, errors.Join(ErrReceiptRejected, ErrAuthorizationDenied)
	}
	r.snd.cfg.Metrics.GuardDecision(StageRecvCap, Allowed)
	g, err := fr.selectGrant(view.Grants, rc.Src, in.Ctx, rc.Epoch, issuer, view.Default)
	if err != nil {
		r.snd.cfg.Metrics.GuardDecision(StageRecvCap, Denied)
		return 0, errors.Join(ErrReceiptRejected, ErrAuthorizationDenied)
	}
	return g.Granted, nil
}

// reserve is the replay and limit step on the receipt's window.
func (r *Receiver) reserve(ctx context.Context, rc *receipt.Receipt, limit uint64, adv bool) (*Admission, error) {
	w, err := r.window(ctx, receipt.WindowKey{Ctx: rc.Ctx, Src: rc.Src, Epoch: rc.Epoch})
	if err != nil {
		return nil, r.reject(receipt.OverLimit) // unreadable window: fail closed
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	o, _ := receipt.Admit(rc, w, limit)
	if o != receipt.Accepted {
		return nil, r.reject(o)
	}
	w.add(rc.Nonce, rc.Cost)
	r.snd.cfg.Metrics.ReceiptVerified(receipt.Accepted.String())
	return &Admission{Receipt: *rc, Advance: adv, r: r, w: w}, nil
}

func (r *Receiver) reject(o receipt.Outcome) error {
	r.snd.cfg.Metrics.ReceiptVerified(o.String())
	return errors.Join(ErrReceiptRejected, o.Err())
}

// Stage puts the accepted (nonce, cost) record.
func (a *Admission) Stage(ctx context.Context, w ds.Write) error {
	k := receipt.WindowKey{Ctx: a.Receipt.Ctx, Src: a.Receipt.Src, Epoch: a.Receipt.Epoch}
	return w.Put(ctx, RecvKey(k, a.Receipt.Nonce), encodeCost(a.Receipt.Cost))
}

// Finish keeps the reservation if its batch committed, else releases it.
func (a *Admission) Finish(committed bool) {
	if committed {
		a.done = true
		return
	}
	a.Release()
}

// Commit persists the admission in a batch of its own.
func (a *Admission) Commit(ctx context.Context) error { return a.r.snd.exec.CommitStaged(ctx, a) }

// Release drops an uncommitted reservation (the frame was dropped); a
// committed admission is unaffected.
func (a *Admission) Release() {
	if a.done {
		return
	}
	a.done = true
	a.w.mu.Lock()
	a.w.remove(a.Receipt.Nonce)
	a.w.mu.Unlock()
}

// window is one (ctx, src, epoch) replay/limit window: accepted or
// reserved nonces and their cost sum. mu guards it.
type window struct {
	mu       sync.Mutex
	seen     map[uint64]uint32
	accepted uint64
}

func (w *window) Seen(n uint64) bool { _, ok := w.seen[n]; return ok }
func (w *window) Accepted() uint64   { return w.accepted }

func (w *window) add(n uint64, c uint32) {
	if _, ok := w.seen[n]; !ok {
		w.seen[n] = c
		w.accepted += uint64(c)
	}
}

func (w *window) remove(n uint64) {
	if c, ok := w.seen[n]; ok {
		delete(w.seen, n)
		w.accepted -= uint64(c)
	}
}

// window returns k's window, loading its records on first use and
// dropping windows of the same context older than k.Epoch−1.
func (r *Receiver) window(ctx context.Context, k receipt.WindowKey) (*window, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.windows[k]; ok {
		return w, nil
	}
	w, err := r.load(ctx, k)
	if err != nil {
		return nil, err
	}
	for o := range r.windows {
		if o.Ctx == k.Ctx && o.Epoch+1 < k.Epoch {
			delete(r.windows, o)
		}
	}
	r.windows[k] = w
	return w, nil
}

func (r *Receiver) load(ctx context.Context, k receipt.WindowKey) (*window, error) {
	res, err := r.snd.exec.d.Query(ctx, dsq.Query{Prefix: recvPrefix(k)})
	if err != nil {
		return nil, err
	}
	defer res.Close()
	w := &window{seen: map[uint64]uint32{}}
	for e := range res.Next() {
		if e.Error != nil {
			return nil, e.Error
		}
		n, err := parseNonce(e.Key)
		if err != nil {
			return nil, err
		}
		c, err := decodeCost(e.Value)
		if err != nil {
			return nil, err
		}
		w.add(n, c)
	}
	return w, nil
}

func parseNonce(key string) (uint64, error) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 || len(key)-i-1 != 16 {
		return 0, ErrCorruptRecord
	}
	n, err := strconv.ParseUint(key[i+1:], 16, 64)
	if err != nil {
		return 0, ErrCorruptRecord
	}
	return n, nil
}
