package jstate

import (
	"crypto/ed25519"
	"fmt"

	"github.com/aura-p2p/aura-p2p/journal"
)

// Keyring is this device's key material, given at construction (SPEC
// §1, §4.1 item 1, §7.1 step 4′): single-device authorities with static
// contexts, whose member key never rotates (key epoch 0).
type Keyring struct {
	// Authority is this device's authority; Device its DeviceId.
	Authority journal.AuthorityID
	Device    journal.DeviceID
	// Leaf is this device's LeafId in the authority's TreeState (0 for a
	// single-device Genesis). Its slot table is {Leaf}.
	Leaf uint32
	// DeviceKey signs authority-namespace facts (FlowCharge registers).
	DeviceKey ed25519.PrivateKey
	// MemberKey is the authority's context member signing key: it signs
	// receipts and must equal the authority's SignKey in every context
	// Genesis this state serves.
	MemberKey ed25519.PrivateKey
	// Secret is the current AuthoritySecret (keys receipt nonces).
	Secret []byte
}

// Validate checks key sizes; it never mutates k.
func (k *Keyring) Validate() error {
	switch {
	case len(k.DeviceKey) != ed25519.PrivateKeySize:
		return fmt.Errorf("%w: device key", ErrBadKeyring)
	case len(k.MemberKey) != ed25519.PrivateKeySize:
		return fmt.Errorf("%w: member key", ErrBadKeyring)
	case len(k.Secret) == 0:
		return fmt.Errorf("%w: authority secret", ErrBadKeyring)
	case k.Device != journal.DeviceIDOf(pub(k.DeviceKey)):
		return fmt.Errorf("%w: device id does not match device key", ErrBadKeyring)
	}
	return nil
}

// NS is the authority namespace.
func (k *Keyring) NS() journal.Namespace { return journal.AuthorityNS(k.Authority) }

func (k *Keyring) clone() *Keyring {
	c := *k
	c.DeviceKey = append(ed25519.PrivateKey(nil), k.DeviceKey...)
	c.MemberKey = append(ed25519.PrivateKey(nil), k.MemberKey...)
	c.Secret = append([]byte(nil), k.Secret...)
	return &c
}

func pub(k ed25519.PrivateKey) [32]byte {
	var p [32]byte
	if len(k) == ed25519.PrivateKeySize {
		copy(p[:], k.Public().(ed25519.PublicKey))
	}
	return p
}
