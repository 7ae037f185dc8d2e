package riblt

// slot is one heap entry: the next index element i maps to.
type slot struct {
	idx uint64
	i   int32
}

// minHeap is a binary min-heap of slots ordered by idx. Hand-rolled so the
// hot loop (replace the top, sift down) has no interface calls.
type minHeap []slot

func (h minHeap) less(a, b int) bool { return h[a].idx < h[b].idx }

func (h minHeap) down(j int) {
	n := len(h)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && h.less(r, l) {
			c = r
		}
		if !h.less(c, j) {
			return
		}
		h[j], h[c] = h[c], h[j]
		j = c
	}
}

func (h minHeap) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !h.less(j, p) {
			return
		}
		h[j], h[p] = h[p], h[j]
		j = p
	}
}

func (h *minHeap) push(s slot) {
	*h = append(*h, s)
	h.up(len(*h) - 1)
}

// popTop removes the minimum.
func (h *minHeap) popTop() {
	old := *h
	n := len(old) - 1
	old[0] = old[n]
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
}

// replaceTop sets the minimum's index to idx and restores the order.
func (h minHeap) replaceTop(idx uint64) {
	h[0].idx = idx
	h.down(0)
}
