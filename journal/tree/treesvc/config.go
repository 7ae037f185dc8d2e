package treesvc

import (
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"time"

	ds "github.com/ipfs/go-datastore"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/aura-p2p/aura-p2p/consensus/dkgsvc"
	"github.com/aura-p2p/aura-p2p/consensus/driver"
	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/journal"
)

// Device is this device's long-term keys: DeviceKey (Ed25519: leaf, DKG
// and vote signatures, authority fact signatures) and DHKey (X25519:
// opens SealedSecrets).
type Device struct {
	Key ed25519.PrivateKey
	DH  *ecdh.PrivateKey
}

func (d Device) pub() [32]byte   { return [32]byte(d.Key.Public().(ed25519.PublicKey)) }
func (d Device) dhPub() [32]byte { return [32]byte(d.DH.PublicKey().Bytes()) }

// ID is the device's DeviceId.
func (d Device) ID() journal.DeviceID { return journal.DeviceIDOf(d.pub()) }

// Candidate is a joiner from a verified JoinRequest (SPEC §4.1 step 2).
type Candidate struct {
	DeviceKey, DHKey [32]byte
	Peer             peer.ID
}

// Syncer is the node's anti-entropy over journal/sync (a fake in tests).
type Syncer interface {
	// SetSecrets installs every AuthoritySecret known for ns (all epochs,
	// oldest first; SPEC §9 Keys).
	SetSecrets(ctx context.Context, ns journal.Namespace, secrets [][]byte) error
	// Pull runs one anti-entropy session of ns with from now.
	Pull(ctx context.Context, ns journal.Namespace, from peer.ID) error
}

// Truster is an optional Syncer extension: a joiner has no reduced
// Genesis yet, so anti-entropy has no member to sync with until it
// trusts the inviter's device (SPEC §4.1 step 2: the joiner trusts
// InviterDeviceKey until it has synced and reduced the journal). Join
// calls Trust before pulling when the Syncer implements it.
type Truster interface {
	Trust(ctx context.Context, ns journal.Namespace, device journal.DeviceID, deviceKey [32]byte, p peer.ID) error
}

// Peers maps DeviceIds to peers (DevicePeer facts and candidates); the
// node provides it, tests use a map. Safe for concurrent use.
type Peers interface {
	// PeerOf resolves device d for a ceremony or driver of authority aid.
	// An implementation must answer from what it learned about aid only
	// (aid's DevicePeer registers, mappings learned for aid's joins,
	// hints about aid): a device of another authority this node also
	// belongs to must not be able to redirect aid's lookups.
	PeerOf(aid journal.AuthorityID, d journal.DeviceID) (peer.ID, bool)
}

// Metrics observes the tree service. Implementations must be safe for
// concurrent use.
type Metrics interface {
	// Committed counts a committed change of ours by path
	// ("single", "fast1", "fast2", "fallback") with its DKG and consensus
	// durations.
	Committed(path string, dkg, consensus time.Duration)
	// Failed counts a failed Propose by reason ("offline", "superseded",
	// "below_threshold", "bad_change", "other").
	Failed(reason string)
	// Reproposed counts a re-proposal after our op was superseded.
	Reproposed()
	// Refreshed counts one re-reduction of an authority namespace.
	Refreshed()
}

// NopMetrics discards everything.
type NopMetrics struct{}

func (NopMetrics) Committed(string, time.Duration, time.Duration) {}
func (NopMetrics) Failed(string)                                  {}
func (NopMetrics) Reproposed()                                    {}
func (NopMetrics) Refreshed()                                     {}

// DefaultSettle is Config.Settle's default.
const DefaultSettle = 300 * time.Millisecond

// Config configures a Service. Zero values take the documented default.
type Config struct {
	// Device is this device's keys. Required.
	Device Device
	// Self is this device's peer. Required.
	Self peer.ID
	// Sender is the guarded sender; the Service registers the DKG handler
	// (through its own dkgsvc.Service) and the consensus drivers on it.
	// Required.
	Sender *flow.Sender
	// Journal holds the authority namespaces. Required.
	Journal *journal.Journal
	// Datastore is the synced store the Sender's executor commits to
	// (vote logs, sealed shares). Required.
	Datastore ds.Batching
	// Peers resolves DeviceIds to peers. Required.
	Peers Peers
	// Syncer runs anti-entropy; nil ⇒ no sync (secrets are not exported,
	// Join cannot pull and fails).
	Syncer Syncer
	// FallbackTopic is the neighbourhood fallback topic for the consensus
	// drivers (keyed per AuthoritySecret of the driver's creation, see
	// doc.go); empty ⇒ direct fallback carriage only.
	FallbackTopic string
	// DKGTimeout is SPEC §10 DKGTimeout; zero ⇒ 60 s.
	DKGTimeout time.Duration
	// Settle is how long Propose waits after its commit applied locally
	// before it pulls from the other current members and re-checks that no
	// concurrent commit at the same parent beat it (SPEC §5.10: a commit
	// is "applied" only after the chain walk over every stored commit);
	// zero ⇒ 300 ms, negative ⇒ no settle (outcome as seen locally).
	Settle time.Duration
	// MaxReproposals bounds re-proposals of a superseded op; zero ⇒ 3.
	MaxReproposals int
	// OfflineRetries is how many times Propose repeats a ceremony whose
	// DKG had a silent member (ErrDeviceOffline), waiting 500 ms·2ⁿ⁻¹
	// (≤ 30 s) before retry n (SPEC §4.1 step 4 "the op waits"); zero ⇒ no
	// retry, the caller re-proposes without the member.
	OfflineRetries int
	// DriverTick is the consensus drivers' tick; zero ⇒ driver default.
	DriverTick time.Duration
	// InitialDelta is the drivers' Δ̂ before measurements; zero ⇒ 1 s.
	InitialDelta time.Duration
	// Rand draws nonces, AuthoritySecrets and seals; nil ⇒ crypto/rand.
	Rand io.Reader
	// Now reads the clock; nil ⇒ time.Now.
	Now func() time.Time
	// Logger receives logs; nil ⇒ discard.
	Logger *slog.Logger
	// Metrics observes the service; nil ⇒ NopMetrics.
	Metrics Metrics
	// DriverMetrics observes every authority's consensus driver (and its
	// core); nil ⇒ driver.NopMetrics.
	DriverMetrics driver.Metrics
	// DKGMetrics is handed to the internal dkgsvc.Service; nil ⇒ none.
	DKGMetrics dkgsvc.Metrics
}

// Validate checks the required fields without mutating c.
func (c *Config) Validate() error {
	switch {
	case len(c.Device.Key) != ed25519.PrivateKeySize || c.Device.DH == nil:
		return fmt.Errorf("%w: Device keys are required", ErrConfig)
	case c.Device.DH.Curve() != ecdh.X25519():
		return fmt.Errorf("%w: Device.DH must be X25519", ErrConfig)
	case c.Self == "" || c.Sender == nil || c.Journal == nil || c.Datastore == nil || c.Peers == nil:
		return fmt.Errorf("%w: Self, Sender, Journal, Datastore and Peers are required", ErrConfig)
	case c.DKGTimeout < 0 || c.MaxReproposals < 0 || c.OfflineRetries < 0 || c.DriverTick < 0 || c.InitialDelta < 0:
		return fmt.Errorf("%w: negative duration or count", ErrConfig)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.DKGTimeout == 0 {
		c.DKGTimeout = dkgsvc.DefaultTimeout
	}
	if c.Settle == 0 {
		c.Settle = DefaultSettle
	}
	if c.MaxReproposals == 0 {
		c.MaxReproposals = 3
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NopMetrics{}
	}
	return c
}
