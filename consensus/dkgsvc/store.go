package dkgsvc

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/consensus/frostx"
	"github.com/aura-p2p/aura-p2p/consensus/frostx/dkg"
	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// epochDigits zero-pads key epochs so keys sort by epoch (as flow/keys.go).
const epochDigits = 20

// recordVersion is the first byte of a stored share record.
const recordVersion = 1

// ShareKey is /aura/k/<kind>/<ns>/<keyEpoch> (SPEC §3): kind as its
// decimal digit (as journal keys), the namespace id in lower-case hex,
// the key epoch zero-padded decimal.
func ShareKey(ns journal.Namespace, keyEpoch uint64) ds.Key {
	return ds.RawKey(fmt.Sprintf("/aura/k/%d/%s/%0*d", uint8(ns.Kind), hex.EncodeToString(ns.ID[:]), epochDigits, keyEpoch))
}

// NamespaceOf parses a canonical namespace encoding (u8 Kind ‖ ID, as in
// dkg.Session.Namespace).
func NamespaceOf(b []byte) (journal.Namespace, error) {
	var ns journal.Namespace
	if len(b) != 1+len(ns.ID) || !journal.Kind(b[0]).Valid() {
		return ns, fmt.Errorf("%w: namespace encoding of %d bytes", ErrConfig, len(b))
	}
	ns.Kind = journal.Kind(b[0])
	copy(ns.ID[:], b[1:])
	return ns, nil
}

// Share is a loaded key share: the committee's public data (kept in the
// clear: GroupKey and VerShares are public, SPEC §5.4) and this device's
// opened KeyShare.Encode() bytes. Never log KeyShare.
type Share struct {
	Threshold uint16
	GroupKey  [32]byte
	VerShares map[uint16][32]byte
	// KeyShare is the opened secret (frostx.NewSigner input).
	KeyShare []byte
}

// Committee builds the frostx committee of the share.
func (s *Share) Committee() (*frostx.Committee, error) {
	return frostx.NewCommittee(frostx.Config{Threshold: s.Threshold, MaxSigners: uint16(len(s.VerShares)),
		GroupKey: s.GroupKey, VerShares: s.VerShares})
}

// Signer builds a fresh frostx.Signer (no nonces) from the share.
func (s *Share) Signer() (*frostx.Signer, error) {
	c, err := s.Committee()
	if err != nil {
		return nil, err
	}
	return frostx.NewSigner(c, s.KeyShare)
}

// encodeRecord is u8 version ‖ u16 t ‖ GroupKey ‖ uvarint N ‖ VerShares
// 1..N ‖ sealed share (Nonce[12] ‖ ChaCha20-Poly1305(...), SPEC §5.4).
func encodeRecord(t uint16, gk [32]byte, vs map[uint16][32]byte, sealed []byte) []byte {
	var e canon.Encoder
	e.U8(recordVersion).U16(t).Raw(gk[:]).Count(len(vs))
	for i := uint16(1); int(i) <= len(vs); i++ {
		v := vs[i]
		e.Raw(v[:])
	}
	return e.Raw(sealed).Bytes()
}

func decodeRecord(b []byte) (Share, []byte, error) {
	bad := func(why string) (Share, []byte, error) {
		return Share{}, nil, fmt.Errorf("%w: record: %s", ErrStore, why)
	}
	if len(b) < 1+2+32+1 || b[0] != recordVersion {
		return bad("short or unknown version")
	}
	s := Share{Threshold: binary.BigEndian.Uint16(b[1:3]), GroupKey: [32]byte(b[3:35])}
	n, k := binary.Uvarint(b[35:])
	if k <= 0 || n == 0 || n > dkg.MaxParticipants {
		return bad("member count")
	}
	rest := b[35+k:]
	if uint64(len(rest)) < 32*n {
		return bad("truncated verification shares")
	}
	s.VerShares = make(map[uint16][32]byte, n)
	for i := range uint16(n) {
		s.VerShares[i+1] = [32]byte(rest[32*int(i):])
	}
	return s, rest[32*n:], nil
}

// storeShare seals res.KeyShare under the device seed and writes the
// record at key in one batch (synced by the datastore, e.g.
// journal.OpenPebble).
func storeShare(ctx context.Context, d ds.Batching, key ds.Key, sess dkg.Session, res dkg.Result, seed []byte) error {
	sh := Share{Threshold: sess.Threshold, GroupKey: res.GroupKey, VerShares: res.VerShares, KeyShare: res.KeyShare}
	return StoreShareAt(ctx, d, key, sh, seed)
}

// LoadShare reads the record at ShareKey(ns, keyEpoch) and opens the
// sealed share with the DeviceKey seed (ed25519.PrivateKey.Seed()). A
// wrong seed or tampered bytes give frostx.ErrSealedShare.
func LoadShare(ctx context.Context, d ds.Read, ns journal.Namespace, keyEpoch uint64, deviceSeed []byte) (Share, error) {
	return LoadShareAt(ctx, d, ShareKey(ns, keyEpoch), deviceSeed)
}

// StoreShareAt seals sh.KeyShare under the device seed and writes its
// record at key in one batch. With LoadShareAt it lets a caller keep a
// share per DKG (e.g. under ShareKey(ns, k).ChildString(groupKey)) when
// several DKGs of one key epoch may run and only one key is applied
// (journal/tree/treesvc). Additive: Run still writes ShareKey.
func StoreShareAt(ctx context.Context, d ds.Batching, key ds.Key, sh Share, deviceSeed []byte) error {
	sealer, err := frostx.NewShareSealer(deviceSeed)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	sealed, err := sealer.Seal(sh.KeyShare)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	b, err := d.Batch(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if err := b.Put(ctx, key, encodeRecord(sh.Threshold, sh.GroupKey, sh.VerShares, sealed)); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

// LoadShareAt is LoadShare for a record at key (written by StoreShareAt
// or Run).
func LoadShareAt(ctx context.Context, d ds.Read, key ds.Key, deviceSeed []byte) (Share, error) {
	b, err := d.Get(ctx, key)
	if err != nil {
		return Share{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	s, sealed, err := decodeRecord(b)
	if err != nil {
		return Share{}, err
	}
	sealer, err := frostx.NewShareSealer(deviceSeed)
	if err != nil {
		return Share{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if s.KeyShare, err = sealer.Open(sealed); err != nil {
		return Share{}, err
	}
	return s, nil
}
