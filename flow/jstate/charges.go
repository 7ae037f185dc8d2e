package jstate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/journal"
)

// DefaultSyncInterval is SPEC §10's SyncInterval (500 ms), the minimum spacing of
// two FlowCharge signatures of one budget key.
const DefaultSyncInterval = 500 * time.Millisecond

// ChargeSigner signs FlowCharge registers lazily (SPEC §6.4 "Lazy
// register signature", §16.44): the executor's charge record is the
// durable charge; when a sync session of this device's authority
// namespace snapshots E, AtSnapshot writes one signed FlowCharge fact per
// split budget key whose record is ahead of the newest entry this device
// signed, at most once per SyncInterval per key — never per charge. Safe
// for concurrent use; calls are serialised.
type ChargeSigner struct {
	j        *journal.Journal
	exec     *flow.Executor
	kr       *Keyring
	interval time.Duration
	m        Metrics

	mu     sync.Mutex
	last   map[budget.Key]time.Time
	signed uint64
}

// NewChargeSigner returns the signer of kr's device over journal j and
// executor exec. interval ≤ 0 means DefaultSyncInterval; m may be nil.
func NewChargeSigner(j *journal.Journal, exec *flow.Executor, kr *Keyring, interval time.Duration,
	m Metrics) (*ChargeSigner, error) {
	if kr == nil {
		return nil, ErrNoKeyring
	}
	if err := kr.Validate(); err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = DefaultSyncInterval
	}
	if m == nil {
		m = NopMetrics{}
	}
	return &ChargeSigner{j: j, exec: exec, kr: kr.clone(), interval: interval, m: m,
		last: map[budget.Key]time.Time{}}, nil
}

// Signatures is how many FlowCharge registers this signer has signed.
func (c *ChargeSigner) Signatures() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.signed
}

// AtSnapshot is the authority sync's snapshot hook: called with the
// namespace a session is about to snapshot and the session's now. For
// this device's authority namespace it stores, in one batch, a signed
// FlowCharge for every split budget key (Ctx a member context, Dst an
// authority) whose charge record exceeds the newest FlowCharge this
// device signed for it and that was not signed within SyncInterval
// before now. It returns how many it signed; other namespaces are a
// no-op. On error nothing was stored and the keys stay due.
func (c *ChargeSigner) AtSnapshot(ctx context.Context, ns journal.Namespace, now time.Time) (int, error) {
	if ns != c.kr.NS() {
		return 0, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prune(now)
	recs, err := c.exec.ChargeRecords(ctx)
	if err != nil {
		return 0, fmt.Errorf("jstate: charge records: %w", err)
	}
	newest, err := c.newestSigned(ctx, ns)
	if err != nil {
		return 0, err
	}
	var entries []journal.Entry
	var keys []budget.Key
	for _, r := range recs {
		if !c.due(r, newest, now) {
			continue
		}
		e, err := c.sign(ns, r)
		if err != nil {
			return 0, err
		}
		entries, keys = append(entries, e), append(keys, r.Key)
	}
	if len(entries) == 0 {
		return 0, nil
	}
	if err := c.j.Put(ctx, ns, entries...); err != nil {
		return 0, fmt.Errorf("jstate: store flow charges: %w", err)
	}
	for _, k := range keys {
		c.last[k] = now
	}
	c.signed += uint64(len(entries))
	c.m.ChargeRegistersSigned(len(entries))
	return len(entries), nil
}

// prune forgets keys last signed at least one interval before now: due
// treats a missing key exactly like one signed that long ago, so the map
// holds only keys signed within the last interval (bounded by the keys a
// device charges per interval, not by every key it ever charged).
func (c *ChargeSigner) prune(now time.Time) {
	for k, t := range c.last {
		if now.Sub(t) >= c.interval {
			delete(c.last, k)
		}
	}
}

// tracked is how many keys prune has not forgotten yet (tests).
func (c *ChargeSigner) tracked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.last)
}

// due: a split budget record ahead of its newest signed entry whose key
// was last signed at least one interval before now.
func (c *ChargeSigner) due(r flow.ChargeRecord, newest map[budget.Key]uint64, now time.Time) bool {
	k := r.Key
	if k.Dst == ([16]byte{}) || !c.j.IsMember(journal.ContextNS(k.Ctx)) {
		return false // per-device budgets (authority scope, topics) stay local records
	}
	if r.Spent <= newest[k] {
		return false
	}
	last, ok := c.last[k]
	return !ok || now.Sub(last) >= c.interval
}

// newestSigned reads the stored FlowCharge registers this device signed
// (their join is the newest signed value per key).
func (c *ChargeSigner) newestSigned(ctx context.Context, ns journal.Namespace) (map[budget.Key]uint64, error) {
	es, err := c.j.Store().Entries(ctx, ns)
	if err != nil && !errors.Is(err, journal.ErrCorrupt) {
		return nil, fmt.Errorf("jstate: authority entries: %w", err)
	}
	self := pub(c.kr.DeviceKey)
	out := map[budget.Key]uint64{}
	for _, e := range es {
		fc, ok := e.Body.(*journal.FlowCharge)
		if !ok || fc.SignerKey != self {
			continue
		}
		k := budget.Key{Ctx: fc.Ctx, Dst: fc.Dst, Epoch: fc.FlowEpoch, Slot: fc.Slot}
		out[k] = max(out[k], fc.Spent)
	}
	return out, nil
}

// sign builds the FlowCharge fact of r (Author = DeviceId, signed by the
// DeviceKey) as a checked entry.
func (c *ChargeSigner) sign(ns journal.Namespace, r flow.ChargeRecord) (journal.Entry, error) {
	b := &journal.FlowCharge{Ctx: r.Key.Ctx, Dst: r.Key.Dst, FlowEpoch: r.Key.Epoch, Slot: r.Key.Slot, Spent: r.Spent}
	f := journal.SignBody(ns, b, c.kr.Device, c.kr.DeviceKey)
	e, err := c.j.Checker().Check(f.Canonical())
	if err != nil {
		return journal.Entry{}, fmt.Errorf("jstate: flow charge fact: %w", err)
	}
	return e, nil
}
