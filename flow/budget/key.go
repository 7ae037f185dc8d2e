package budget

import (
	"math"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Key is a budget key bk = (ctx, dst, flowEpoch, slot): what this device
// may send to Dst in Ctx during one flow epoch (SPEC §6.2). Topic budgets
// use Ctx = TopicCtx(topic) and a zero Dst; per-device budgets use slot 0.
type Key struct {
	Ctx   journal.ContextID
	Dst   journal.AuthorityID
	Epoch uint64
	Slot  uint16
}

// TopicCtx is the budget context of a neighbourhood topic:
// Trunc16(H("aura/topic-ctx/v1", topicName)) (SPEC §6.2).
func TopicCtx(topic string) journal.ContextID {
	return journal.ContextID(canon.Trunc16(canon.H("aura/topic-ctx/v1", []byte(topic))))
}

// Schedule is a nominal flow-epoch schedule: epoch e spans
// [GenesisMs + e·EpochMs, GenesisMs + (e+1)·EpochMs) (SPEC §6.5).
// A context's comes from its Genesis; per-device budgets use
// DeviceSchedule(). The journal's FlowEpochAdvance facts, not this
// schedule, decide a context's effective epoch.
type Schedule struct {
	GenesisMs uint64
	EpochMs   uint64
}

// DeviceSchedule is the per-device schedule: Unix 0, DeviceEpochMs.
func DeviceSchedule() Schedule { return Schedule{GenesisMs: 0, EpochMs: DeviceEpochMs} }

// ContextSchedule is a context Genesis's schedule.
func ContextSchedule(genesisTimeMs, flowEpochMs uint64) Schedule {
	return Schedule{GenesisMs: genesisTimeMs, EpochMs: flowEpochMs}
}

// Start is the nominal start of epoch e in Unix ms; it saturates at
// MaxUint64 instead of overflowing (such an epoch never starts).
func (s Schedule) Start(e uint64) uint64 {
	if s.EpochMs != 0 && e > (math.MaxUint64-s.GenesisMs)/s.EpochMs {
		return math.MaxUint64
	}
	return s.GenesisMs + e*s.EpochMs
}

// EpochAt is the nominal epoch holding nowMs (0 before GenesisMs or for a
// zero EpochMs).
func (s Schedule) EpochAt(nowMs uint64) uint64 {
	if s.EpochMs == 0 || nowMs < s.GenesisMs {
		return 0
	}
	return (nowMs - s.GenesisMs) / s.EpochMs
}
