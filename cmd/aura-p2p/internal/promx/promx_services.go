package promx

import "github.com/prometheus/client_golang/prometheus"

// Services holds one collector set per library package, all registered on
// one Registerer by NewServices.
type Services struct {
	Flow      *Flow
	FlowState *FlowState
	Journal   *Journal
	Sync      *Sync
	Tree      *Tree
	Consensus *Consensus
	DKG       *DKG
	Control   *Control
	Authority *Authority
}

// NewServices creates and registers every package's collectors on reg.
func NewServices(reg prometheus.Registerer) (*Services, error) {
	var s Services
	var err error
	steps := []func(){
		func() { s.Flow, err = NewFlow(reg) },
		func() { s.FlowState, err = NewFlowState(reg) },
		func() { s.Journal, err = NewJournal(reg) },
		func() { s.Sync, err = NewSync(reg) },
		func() { s.Tree, err = NewTree(reg) },
		func() { s.Consensus, err = NewConsensus(reg) },
		func() { s.DKG, err = NewDKG(reg) },
		func() { s.Control, err = NewControl(reg) },
		func() { s.Authority, err = NewAuthority(reg) },
	}
	for _, step := range steps {
		if step(); err != nil {
			return nil, err
		}
	}
	return &s, nil
}
