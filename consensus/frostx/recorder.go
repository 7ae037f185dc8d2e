package frostx

import (
	"sync"

	"github.com/bytemare/frost"
)

// NonceRecord is everything one Commit generated. The scalars are the
// secret nonces: a recorder exists only in tests (SPEC §16.7(c) checks that
// no datastore value contains any of them; §16.29 that no point repeats).
type NonceRecord struct {
	Signer       uint16
	ID           uint64
	HidingPoint  [32]byte // D
	BindingPoint [32]byte // E
	HidingNonce  [32]byte // d (secret)
	BindingNonce [32]byte // e (secret)
}

// NonceRecorder collects a NonceRecord for every Commit of every Signer of
// committees configured with it. Test-only: never set it in production.
type NonceRecorder struct {
	mu   sync.Mutex
	recs []NonceRecord
}

func (r *NonceRecorder) record(c Commitment, n *frost.Nonce) {
	rec := NonceRecord{Signer: c.Signer, ID: c.ID, HidingPoint: c.HidingPoint(), BindingPoint: c.BindingPoint()}
	if n != nil {
		rec.HidingNonce = [32]byte(n.HidingNonce.Encode())
		rec.BindingNonce = [32]byte(n.BindingNonce.Encode())
	}
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	r.mu.Unlock()
}

// Records returns a copy of everything recorded so far, in Commit order.
func (r *NonceRecorder) Records() []NonceRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]NonceRecord(nil), r.recs...)
}
