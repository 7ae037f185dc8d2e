package flow

import (
	"context"

	dsq "github.com/ipfs/go-datastore/query"

	"github.com/aura-p2p/aura-p2p/flow/budget"
)

// ChargeRecord is one stored charge record: Spent(Key) as of its last
// committed charge.
type ChargeRecord struct {
	Key   budget.Key
	Spent uint64
}

// ChargeRecords lists every stored charge record in key order. The
// journal's authority sync reads it when it snapshots E to sign lazy
// FlowCharge registers for split budgets that are ahead of their newest
// signed entry (SPEC §6.4 "Lazy register signature"); the executor itself
// never writes facts per charge. Unparseable keys or values are
// ErrCorruptRecord.
func (e *Executor) ChargeRecords(ctx context.Context) ([]ChargeRecord, error) {
	res, err := e.d.Query(ctx, dsq.Query{Prefix: spentRoot, Orders: []dsq.Order{dsq.OrderByKey{}}})
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []ChargeRecord
	for r := range res.Next() {
		if r.Error != nil {
			return nil, r.Error
		}
		k, ok := ParseSpentKey(r.Key)
		if !ok {
			return nil, ErrCorruptRecord
		}
		v, err := DecodeSpent(r.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, ChargeRecord{Key: k, Spent: v})
	}
	return out, nil
}
