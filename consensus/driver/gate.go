package driver

import (
	"context"
	"sync"
)

// gate orders sends after durability (SPEC §5.5 step 3, §6.4 step 4): it
// opens once its own Ready's batch committed and every earlier gate
// opened; it fails if any of them failed. A nil gate is open.
type gate struct {
	own  chan struct{} // closed by settle
	ok   bool          // written before own closes
	once sync.Once
	done chan struct{} // closed when own and prev are settled
	all  bool          // written before done closes
}

// newGate chains a gate after prev; the goroutine it starts ends when
// both settle or ctx ends (wg tracks it).
func newGate(ctx context.Context, wg *sync.WaitGroup, prev *gate) *gate {
	g := &gate{own: make(chan struct{}), done: make(chan struct{})}
	wg.Add(1)
	go func() {
		defer wg.Done()
		pOK := prev.wait(ctx)
		select {
		case <-g.own:
		case <-ctx.Done():
			return
		}
		g.all = pOK && g.ok
		close(g.done)
	}()
	return g
}

// settle records the batch result (idempotent: the first call wins).
func (g *gate) settle(ok bool) {
	g.once.Do(func() {
		g.ok = ok
		close(g.own)
	})
}

// settled reports whether settle was called.
func (g *gate) settled() bool {
	select {
	case <-g.own:
		return true
	default:
		return false
	}
}

// wait blocks until g and its predecessors settled; false if any failed
// or ctx ended.
func (g *gate) wait(ctx context.Context) bool {
	if g == nil {
		return true
	}
	select {
	case <-g.done:
		return g.all
	case <-ctx.Done():
		return false
	}
}
