package jstate

import (
	"time"

	"github.com/aura-p2p/aura-p2p/journal"
)

// DueAdvance is the FlowEpochAdvance a member whose clock reads now
// writes for ctx (SPEC §6.5): the nominal epoch at now under the
// Genesis schedule, if it is above the effective epoch (max valid
// FlowEpochAdvance). ok is false when none is due. The fact is unsigned
// and valid by construction (StartMs = GenesisTimeMs + e·FlowEpochMs);
// the caller stores it (journal Add or a send's Stage) and sync spreads
// it. Lookup errors are those of Context.
func (s *State) DueAdvance(ctx journal.ContextID, now time.Time) (f journal.Fact, ok bool, err error) {
	r, err := s.reduce(ctx)
	if err != nil {
		return journal.Fact{}, false, err
	}
	ms := now.UnixMilli()
	if ms < 0 {
		return journal.Fact{}, false, nil
	}
	e := r.view.Schedule.EpochAt(uint64(ms))
	if e <= r.view.Epoch {
		return journal.Fact{}, false, nil
	}
	b := &journal.FlowEpochAdvance{Ctx: ctx, Epoch: e, StartMs: r.view.Schedule.Start(e)}
	return journal.Fact{NS: journal.ContextNS(ctx), Type: journal.TypeFlowEpochAdvance,
		Schema: journal.SchemaV1, Body: b.Canonical()}, true, nil
}
