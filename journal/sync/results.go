package sync

import gosync "sync"

// resultQueue carries session results to the run goroutine. put never
// blocks: results are appended under a mutex and ready (capacity 1,
// coalescing) wakes run, which takes them all. A session therefore never
// waits on run, whatever run is doing.
type resultQueue struct {
	ready chan struct{}
	mu    gosync.Mutex
	q     []sessionResult
}

func newResultQueue() resultQueue {
	return resultQueue{ready: make(chan struct{}, 1)}
}

// put appends r and signals ready.
func (rq *resultQueue) put(r sessionResult) {
	rq.mu.Lock()
	rq.q = append(rq.q, r)
	rq.mu.Unlock()
	select {
	case rq.ready <- struct{}{}:
	default:
	}
}

// take removes and returns every queued result in arrival order.
func (rq *resultQueue) take() []sessionResult {
	rq.mu.Lock()
	defer rq.mu.Unlock()
	q := rq.q
	rq.q = nil
	return q
}
