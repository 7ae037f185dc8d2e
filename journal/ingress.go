package journal

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"time"
)

// nsRule says which namespace kinds a type may appear in (SPEC §3 table).
func nsAllowed(typ uint16, k Kind) bool {
	switch typ {
	case TypeFlowCharge, TypeSealedSecret:
		return k == KindAuthority
	case TypeFlowEpochAdvance, TypeCapGrant, TypeMemberKey, TypeDescriptor,
		TypeDescriptorRevoked, TypeChannelEstablished, TypeGeneric:
		return k == KindContext
	}
	return true
}

// decodeBody decodes a known v1 body strictly and returns it with its
// identity bytes. It checks structure only, no signatures.
func decodeBody(f Fact) (Body, []byte, error) {
	if !nsAllowed(f.Type, f.NS.Kind) {
		return nil, nil, malformed("type %d not allowed in %s namespace", f.Type, f.NS.Kind)
	}
	switch f.Type {
	case TypeGenesis:
		return decodeGenesis(f)
	case TypeCommit:
		return decodeCommitRef(f.Body)
	case TypeEquivocation:
		return decodeEquivocationRef(f.Body)
	case TypeDescriptor, TypeDescriptorRevoked, TypeChannelEstablished:
		return decodeSignedOpaque(f.Type, f.Body)
	}
	b, id, err := decodeTrailed(f)
	return b, id, err
}

// decodeTrailed handles the fixed-layout bodies of types 4, 6, 7, 8,
// 12, 13, 14.
func decodeTrailed(f Fact) (Body, []byte, error) {
	r := &reader{b: f.Body}
	var (
		b  Body
		id []byte
	)
	switch f.Type {
	case TypeFlowCharge:
		x := new(FlowCharge)
		x.decode(r)
		b, id = x, x.identity()
	case TypeFlowEpochAdvance:
		x := new(FlowEpochAdvance)
		x.decode(r)
		if r.err == nil && x.Ctx != f.NS.ID {
			r.err = fmt.Errorf("%w: flow epoch advance for another context", ErrNamespaceMismatch)
		}
		b, id = x, x.identity()
	case TypeCapGrant:
		x := new(CapGrant)
		x.decode(r)
		b, id = x, x.identity()
	case TypeMemberKey:
		x := new(MemberKey)
		x.decode(r)
		b, id = x, f.Body
	case TypeGeneric:
		x := new(Generic)
		x.decode(r)
		b, id = x, f.Body
	case TypeSealedSecret:
		x := new(SealedSecret)
		x.decode(r)
		b, id = x, f.Body
	case TypeDevicePeer:
		x := new(DevicePeer)
		x.decode(r)
		b, id = x, x.identity()
	default:
		return nil, nil, malformed("type %d has no decoder", f.Type)
	}
	if err := r.done("body"); err != nil {
		return nil, nil, err
	}
	return b, id, nil
}

func decodeGenesis(f Fact) (Body, []byte, error) {
	r := &reader{b: f.Body}
	var b Body
	if f.NS.Kind == KindAuthority {
		g := new(AuthorityGenesis)
		g.decode(r)
		b = g
	} else {
		g := new(ContextGenesis)
		g.decode(r)
		b = g
	}
	if err := r.done("genesis"); err != nil {
		return nil, nil, err
	}
	return b, f.Body, nil
}

// Commit body prefix (SPEC §5.2 CommitFact): CID ‖ PrestateHash ‖ OpHash
// ‖ RID ‖ …; identity (cid, prestateHash, rid). The rest is interpreted
// by consensus.
func decodeCommitRef(body []byte) (Body, []byte, error) {
	if len(body) < 128 {
		return nil, nil, malformed("commit body %d bytes", len(body))
	}
	return &Opaque{T: TypeCommit, Data: body}, cat(body[0:64], body[96:128]), nil
}

// voteSize is SPEC §5.2 Vote: CID, PrestateHash, RID, Witness [16],
// KeyEpoch u64, Sig [64].
const voteSize = 32*3 + 16 + 8 + 64

// Equivocation body: Vote1 ‖ Vote2 (EquivocationProof, §5.7); identity
// (cid, witness, sorted rids). Votes are verified in reduction.
func decodeEquivocationRef(body []byte) (Body, []byte, error) {
	if len(body) != 2*voteSize {
		return nil, nil, malformed("equivocation body %d bytes", len(body))
	}
	v1, v2 := body[:voteSize], body[voteSize:]
	r1, r2 := v1[64:96], v2[64:96]
	if string(r2) < string(r1) {
		r1, r2 = r2, r1
	}
	return &Opaque{T: TypeEquivocation, Data: body}, cat(v1[0:32], v1[96:112], r1, r2), nil
}

func decodeSignedOpaque(typ uint16, body []byte) (Body, []byte, error) {
	if len(body) < trailerSize {
		return nil, nil, malformed("type %d body %d bytes", typ, len(body))
	}
	n := len(body) - trailerSize
	b := &SignedOpaque{T: typ, Payload: append([]byte{}, body[:n]...)}
	r := &reader{b: body[n:]}
	b.Trailer.decode(r)
	return b, body, r.err
}

// Checker runs stateless ingress validation (SPEC §3 "Validation
// split"). It is safe for concurrent use: it holds only configuration.
type Checker struct {
	cfg Config
}

// NewChecker returns a Checker for cfg (defaults filled in).
func NewChecker(cfg Config) *Checker { return &Checker{cfg: cfg.withDefaults()} }

// Ingress validates with DefaultConfig: see Checker.Ingress.
func Ingress(b []byte, now time.Time) (Entry, error) {
	return NewChecker(DefaultConfig()).Ingress(b, now)
}

// Ingress decodes canonical fact bytes and runs the stateless checks:
// size (ErrFactTooLarge), decoding and well-formedness (ErrMalformed,
// ErrNamespaceMismatch), ids, and self-contained signatures
// (ErrBadSignature). A time-gated fact not yet due returns the Entry
// with a *DeferredError (ErrDeferred); one due beyond MaxDefer returns
// the Entry with ErrDeferTooFar. b is copied; the caller may reuse it.
func (c *Checker) Ingress(b []byte, now time.Time) (Entry, error) {
	e, err := c.Check(b)
	if err != nil {
		return Entry{}, err
	}
	return e, c.TimeGate(e, now)
}

// Check runs every stateless ingress check except the time gate.
func (c *Checker) Check(b []byte) (Entry, error) {
	if len(b) > MaxFactSize {
		return Entry{}, ErrFactTooLarge
	}
	e, err := parseEntry(bytes.Clone(b))
	if err != nil {
		return Entry{}, err
	}
	if err := c.wellFormed(e); err != nil {
		return Entry{}, err
	}
	if err := c.verify(e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// TimeGate applies SPEC §3 deferral: nil if e is not time-gated or due
// by now (+MaxClockSkew), *DeferredError if due within MaxDefer,
// ErrDeferTooFar beyond.
func (c *Checker) TimeGate(e Entry, now time.Time) error {
	due, ok := dueMs(e)
	if !ok {
		return nil
	}
	nowMs := uint64(max(now.UnixMilli(), 0))
	if due <= nowMs+uint64(c.cfg.MaxClockSkew.Milliseconds()) {
		return nil
	}
	if due > nowMs+uint64(c.cfg.MaxDefer.Milliseconds()) {
		return ErrDeferTooFar
	}
	return &DeferredError{DueMs: due}
}

// dueMs is the time gate of a time-gated entry (v1: FlowEpochAdvance).
func dueMs(e Entry) (uint64, bool) {
	if a, ok := e.Body.(*FlowEpochAdvance); ok {
		return a.StartMs, true
	}
	return 0, false
}

// wellFormed checks stateless rules beyond decoding.
func (c *Checker) wellFormed(e Entry) error {
	switch b := e.Body.(type) {
	case *AuthorityGenesis:
		return checkAuthorityGenesis(e.Fact.NS, b)
	case *ContextGenesis:
		return checkContextGenesis(e.Fact.NS, b)
	}
	return nil
}

// verify checks self-contained signatures, fixed per type (SPEC §3).
func (c *Checker) verify(e Entry) error {
	switch b := e.Body.(type) {
	case *AuthorityGenesis:
		h := SigHash(e.Fact.NS, TypeGenesis, SchemaV1, b.Unsigned())
		if !c.cfg.Group.VerifyGroup(b.KeyRotation.GroupKey, h[:], b.Sig) {
			return fmt.Errorf("%w: authority genesis", ErrBadSignature)
		}
	case *ContextGenesis:
		return verifyContextGenesis(e.Fact.NS, b)
	case *MemberKey:
		h := SigHash(e.Fact.NS, e.Fact.Type, SchemaV1, unsignedOf(b))
		if !c.cfg.Group.VerifyGroup(b.SignerKey, h[:], b.Sig) {
			return fmt.Errorf("%w: member key", ErrBadSignature)
		}
	case SignedBody:
		t := b.trailer()
		h := SigHash(e.Fact.NS, e.Fact.Type, SchemaV1, unsignedOf(b))
		if !ed25519.Verify(t.SignerKey[:], h[:], t.Sig[:]) {
			return fmt.Errorf("%w: type %d", ErrBadSignature, e.Fact.Type)
		}
	}
	return nil
}

// checkAuthorityGenesis enforces the single-device form of SPEC §4.1.
func checkAuthorityGenesis(ns Namespace, g *AuthorityGenesis) error {
	k := &g.KeyRotation
	switch {
	case ns.ID != g.AuthorityID:
		return fmt.Errorf("%w: genesis for another authority", ErrNamespaceMismatch)
	case AuthorityIDOf(k.GroupKey, g.Nonce) != g.AuthorityID:
		return malformed("authority id does not derive from group key and nonce")
	case g.Leaf.ID != 0 || g.Leaf.Role != 1 || g.Leaf.FrostID != 1:
		return malformed("genesis leaf must be ID 0, role 1, frost id 1")
	case g.Leaf.Device != DeviceIDOf(g.Leaf.DeviceKey):
		return malformed("genesis leaf device id")
	case g.Policy != Policy{M: 1, N: 1}:
		return malformed("genesis policy must be {1,1}")
	}
	return checkSingleDeviceRotation(k, g.Leaf.DeviceKey)
}

func checkSingleDeviceRotation(k *KeyRotation, deviceKey [32]byte) error {
	switch {
	case k.GroupKey != deviceKey:
		return malformed("single-device group key must be the device key")
	case k.KeyEpoch != 0:
		return malformed("genesis key epoch must be 0")
	case len(k.VerShares) != 1 || k.VerShares[1] != deviceKey:
		return malformed("single-device ver shares must be {1: device key}")
	case len(k.FrostIDs) != 1 || k.FrostIDs[0] != 1:
		return malformed("single-device frost ids must be {0: 1}")
	case k.DKGNonce != [32]byte{} || k.DKGTranscriptHash != [32]byte{}:
		return malformed("single-device rotation carries no DKG data")
	case len(k.Round1) != 0 || len(k.Confirms) != 0:
		return malformed("single-device rotation carries no DKG messages")
	case len(k.SealedSecrets) != 1 || k.SealedSecrets[0] == nil:
		return malformed("single-device rotation must seal to leaf 0 only")
	}
	return nil
}

// checkContextGenesis enforces SPEC §7.1 step 4/4′ well-formedness.
func checkContextGenesis(ns Namespace, g *ContextGenesis) error {
	switch {
	case ns.ID != [16]byte(g.ContextID):
		return fmt.Errorf("%w: genesis for another context", ErrNamespaceMismatch)
	case g.FlowEpochMs == 0:
		return malformed("flow epoch ms is 0")
	case len(g.Members) < 2:
		return malformed("context needs at least 2 members")
	case len(g.Sigs) != len(g.Members):
		return malformed("%d sigs for %d members", len(g.Sigs), len(g.Members))
	}
	for i := 1; i < len(g.Members); i++ {
		if compare16(g.Members[i-1].AuthorityID, g.Members[i].AuthorityID) >= 0 {
			return malformed("members not strictly ascending")
		}
	}
	if g.Policy != nil && (g.Policy.M < 2 || g.Policy.M > g.Policy.N || int(g.Policy.N) != len(g.Members)) {
		return malformed("context policy")
	}
	if g.KeyRotation != nil && g.KeyRotation.KeyEpoch != 0 {
		return malformed("context genesis key epoch must be 0")
	}
	if g.Static() {
		return checkSealedRoots(g)
	}
	return nil
}

// checkSealedRoots: a static context seals K_root to every member, and
// only to members.
func checkSealedRoots(g *ContextGenesis) error {
	if len(g.SealedRoots) != len(g.Members) {
		return malformed("static context needs one sealed root per member")
	}
	for _, m := range g.Members {
		if _, ok := g.SealedRoots[m.AuthorityID]; !ok {
			return malformed("sealed root missing for a member")
		}
	}
	return nil
}

func verifyContextGenesis(ns Namespace, g *ContextGenesis) error {
	h := SigHash(ns, TypeGenesis, SchemaV1, g.Unsigned())
	for i, m := range g.Members {
		if !ed25519.Verify(m.SignKey[:], h[:], g.Sigs[i][:]) {
			return fmt.Errorf("%w: context genesis sig %d", ErrBadSignature, i)
		}
	}
	return nil
}
