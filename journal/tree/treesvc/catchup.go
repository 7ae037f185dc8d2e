package treesvc

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/journal/tree"
)

// Catch-up bounds (SPEC §4.1 step 3a: a member whose state is not the
// DKGStart's parent "syncs first"). Authorise runs on the DKG handler's
// stream goroutine, and anyone who knows an AuthorityId can send a
// DKGStart signed by a key it lists, so the sync it triggers is gated.
const (
	// catchUpTimeout bounds one catch-up (pull and re-reduction).
	catchUpTimeout = 10 * time.Second
	// catchUpInterval is the least time between the starts of two
	// catch-ups of one authority.
	catchUpInterval = 2 * time.Second
)

// catchUpGate rate-limits one authority's catch-ups: at most one in
// flight, and one start per catchUpInterval, separately for starts whose
// proposer is a current leaf (members) and for the others, so outsiders
// that keep their gate busy cannot delay a member's catch-up. Guarded by
// Service.mu.
type catchUpGate struct {
	member, other gateSlot
}

type gateSlot struct {
	busy bool
	last time.Time // start of the last catch-up; zero: none yet
}

// take claims the slot at now unless a catch-up is in flight or started
// less than catchUpInterval ago.
func (g *gateSlot) take(now time.Time) bool {
	if g.busy || (!g.last.IsZero() && now.Sub(g.last) < catchUpInterval) {
		return false
	}
	g.busy, g.last = true, now
	return true
}

// atParent reports whether cur is st's parent state.
func atParent(cur *tree.TreeState, st *dkgsvc.Start) bool {
	return cur != nil && cur.Epoch == st.ParentEpoch && cur.Root == st.ParentRoot
}

// worthCatchUp reports whether a DKGStart whose parent is not our state
// may trigger a catch-up: its proposer is a current leaf (we may have
// missed commits it has), or its ParentEpoch is ahead of ours (a device
// added while we were behind), or we hold no state yet. A start by an
// unknown key at a parent not ahead of ours is refused without a sync:
// a pull cannot make an outsider a member of a state we already passed.
func worthCatchUp(cur *tree.TreeState, st *dkgsvc.Start, prop [32]byte) bool {
	return cur == nil || hasLeafKey(cur, prop) || st.ParentEpoch > cur.Epoch
}

// isMemberKey reports whether key is a current leaf's key of cur.
func isMemberKey(cur *tree.TreeState, key [32]byte) bool { return cur != nil && hasLeafKey(cur, key) }

func hasLeafKey(cur *tree.TreeState, key [32]byte) bool {
	for _, l := range cur.Leaves {
		if l.DeviceKey == key {
			return true
		}
	}
	return false
}

// catchUp pulls a's namespace from p and re-reduces, unless a's gate
// for the proposer's class (member: its key is a current leaf) is closed
// (a catch-up in flight, or one started less than catchUpInterval ago):
// then it returns at once. Either way it returns a's current state.
func (s *Service) catchUp(a *auth, p peer.ID, member bool) *tree.TreeState {
	now := s.cfg.Now()
	s.mu.Lock()
	g := &a.catchUp.other
	if member {
		g = &a.catchUp.member
	}
	if !g.take(now) {
		cur := a.state()
		s.mu.Unlock()
		s.log.Debug("catch-up throttled", "authority", a.aid.String(), "peer", p)
		return cur
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		g.busy = false
		s.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(s.ctx, catchUpTimeout)
	defer cancel()
	if s.cfg.Syncer != nil && p != "" {
		if err := s.cfg.Syncer.Pull(ctx, a.ns, p); err != nil {
			s.log.Debug("catch-up pull failed", "err", err)
		}
	}
	if err := s.refresh(ctx, a); err != nil {
		s.log.Debug("catch-up refresh failed", "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return a.state()
}
