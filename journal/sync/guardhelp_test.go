package sync

import (
	"testing"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/cap"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/journaltest"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// bigLimit is a per-epoch budget no test session exhausts.
const bigLimit = 1 << 40

// senderState is founder f's guard state for fx: every capability, the
// given limit, f as the only device of its authority, every founder's
// member key.
func senderState(fx *journaltest.StaticContext, f *journaltest.Founder, limit uint64) *flow.StaticState {
	st := flow.NewStaticState(flow.Identity{Authority: f.Authority, Device: f.Device, Secret: f.AuthoritySecret[:]})
	members := map[journal.AuthorityID][32]byte{}
	for _, m := range fx.Founders {
		members[m.Authority] = m.MemberPub
	}
	st.SetContext(fx.ID, flow.ContextView{
		Schedule: budget.ContextSchedule(journaltest.GenesisTimeMs, journaltest.FlowEpochMs),
		Default:  cap.Default{Caps: cap.AllNames(), Limit: limit},
		SelfKey:  f.MemberKey, Leaves: []uint32{0}}, members)
	return st
}

// guardedSender is the node's flow.Sender over tr (tests hold the
// transport; the Service only ever sees the Sender).
func guardedSender(t testing.TB, tr p2p.Transport, st flow.State, d ds.Batching) *flow.Sender {
	t.Helper()
	snd, err := flow.New(tr, d, st, flow.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return snd
}
