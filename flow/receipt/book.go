package receipt

// MemWindow is an in-memory Window. The zero value is empty.
type MemWindow struct {
	seen     map[uint64]struct{}
	accepted uint64
}

// Seen reports whether nonce was accepted.
func (w *MemWindow) Seen(nonce uint64) bool {
	_, ok := w.seen[nonce]
	return ok
}

// Accepted is the sum of accepted costs.
func (w *MemWindow) Accepted() uint64 { return w.accepted }

// Len is the number of accepted nonces.
func (w *MemWindow) Len() int { return len(w.seen) }

// add records one accepted nonce and cost; a seen nonce is ignored so
// applying a Delta twice is harmless.
func (w *MemWindow) add(nonce uint64, cost uint32) {
	if w.seen == nil {
		w.seen = make(map[uint64]struct{})
	}
	if _, ok := w.seen[nonce]; ok {
		return
	}
	w.seen[nonce] = struct{}{}
	w.accepted += uint64(cost)
}

// Book holds the receiver's windows in memory, keyed (ctx, src, epoch).
// The executor rebuilds it from the stored /aura/f/recv records at start.
// One goroutine owns it. The zero Book is empty.
type Book struct {
	m map[WindowKey]*MemWindow
}

// Window returns k's window (empty if none; never nil).
func (b *Book) Window(k WindowKey) Window {
	if w, ok := b.m[k]; ok {
		return w
	}
	return &MemWindow{}
}

// Apply records an accepted receipt's Delta after it was persisted.
func (b *Book) Apply(d Delta) {
	if b.m == nil {
		b.m = make(map[WindowKey]*MemWindow)
	}
	w, ok := b.m[d.Key]
	if !ok {
		w = &MemWindow{}
		b.m[d.Key] = w
	}
	w.add(d.Nonce, d.Cost)
}

// Rollover drops windows of epochs before current−1: receipts older than
// the previous epoch are stale_epoch before they reach a window.
func (b *Book) Rollover(current uint64) {
	for k := range b.m {
		if k.Epoch+1 < current {
			delete(b.m, k)
		}
	}
}

// Verify is Verifier.Verify against this book's window for r.
func (b *Book) Verify(v Verifier, r *Receipt, x Expect, clk Clock, limit uint64) (Outcome, Delta) {
	return v.Verify(r, x, clk, b.Window(WindowKey{Ctx: r.Ctx, Src: r.Src, Epoch: r.Epoch}), limit)
}
