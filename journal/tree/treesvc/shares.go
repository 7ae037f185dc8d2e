package treesvc

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/journal"
)

// errShareMismatch: the share stored for a key epoch belongs to another
// DKG's key and no kept copy of the applied key's share exists.
var errShareMismatch = errors.New("treesvc: stored share is of another key")

// shareKeyFor is where this device keeps the share of one DKG:
// ShareKey(ns, keyEpoch)/<hex GroupKey>. Two concurrent ops at one parent
// both run a DKG for key epoch k+1 (SPEC §4.1 step 3), dkgsvc writes
// ShareKey(ns, k+1) for whichever finishes last, and only one op applies
// (§4 chain walk): the applied key's share must survive.
func shareKeyFor(ns journal.Namespace, keyEpoch uint64, groupKey [32]byte) ds.Key {
	return dkgsvc.ShareKey(ns, keyEpoch).ChildString(hex.EncodeToString(groupKey[:]))
}

// keepShare stores a finished DKG's share under shareKeyFor.
func (s *Service) keepShare(ctx context.Context, ns journal.Namespace, t uint16, keyEpoch uint64, res dkg.Result) {
	sh := dkgsvc.Share{Threshold: t, GroupKey: res.GroupKey, VerShares: res.VerShares, KeyShare: res.KeyShare}
	if err := dkgsvc.StoreShareAt(ctx, s.cfg.Datastore, shareKeyFor(ns, keyEpoch, res.GroupKey), sh, s.cfg.Device.Key.Seed()); err != nil {
		s.log.Warn("keeping the DKG share failed", "key_epoch", keyEpoch, "err", err)
	}
}

// loadShare returns this device's share of the applied key groupKey at
// keyEpoch: ShareKey(ns, keyEpoch) if it holds that key, else the kept
// copy, which is then written back to ShareKey.
func (s *Service) loadShare(ctx context.Context, ns journal.Namespace, keyEpoch uint64, groupKey [32]byte) (dkgsvc.Share, error) {
	seed := s.cfg.Device.Key.Seed()
	sh, err := dkgsvc.LoadShare(ctx, s.cfg.Datastore, ns, keyEpoch, seed)
	if err == nil && sh.GroupKey == groupKey {
		return sh, nil
	}
	kept, kerr := dkgsvc.LoadShareAt(ctx, s.cfg.Datastore, shareKeyFor(ns, keyEpoch, groupKey), seed)
	switch {
	case kerr == nil && kept.GroupKey == groupKey:
		if werr := dkgsvc.StoreShareAt(ctx, s.cfg.Datastore, dkgsvc.ShareKey(ns, keyEpoch), kept, seed); werr != nil {
			s.log.Warn("restoring the applied key's share failed", "key_epoch", keyEpoch, "err", werr)
		}
		return kept, nil
	case err != nil:
		return dkgsvc.Share{}, err
	}
	return dkgsvc.Share{}, fmt.Errorf("%w: key epoch %d", errShareMismatch, keyEpoch)
}
