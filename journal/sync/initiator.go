package sync

import (
	"bytes"
	"crypto/ed25519"
	"crypto/subtle"
	"fmt"
	"slices"

	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
)

// InitiatorConfig configures one initiator session. The driver draws
// NonceI from crypto/rand and snapshots Set at session start.
type InitiatorConfig struct {
	Config Config
	// S is the sync secret of the namespace's newest key epoch.
	S Secret
	// NonceI is 16 fresh random bytes.
	NonceI [16]byte
	// Local and Remote are the libp2p peer-ID bytes pI and pR.
	Local, Remote []byte
	// Mode is ModeReconcile or ModePush.
	Mode Mode
	// Token is the capability carried in Box_I (zero for authority
	// namespaces).
	Token Token
	// Set is E_I: the EntryIDs of the stored entries.
	Set []journal.EntryID
	// Announce lists the entries a ModePush session pushes (the first
	// AnnounceMax are sent).
	Announce []journal.EntryID
	// Members verifies Box_R's Author; Entries reads pushed entries;
	// Signer signs Box_I. Guard may be nil.
	Members Members
	Entries Entries
	Signer  Signer
	Guard   Guard
}

type iState uint8

const (
	iNew      iState = iota
	iHello           // Hello sent, awaiting HelloAck
	iSymbols         // decoding
	iIds             // Full sent, awaiting Ids
	iDraining        // End sent; accepting R's in-flight Symbols and Facts
	iClosed          // aborted
)

// Initiator is the pure initiator core of SPEC §9 steps 1–7: Start emits
// Hello, and each Step consumes one received frame and returns the frames
// to send, in order. It does no I/O, reads no clock and draws no
// randomness. A non-nil error means: reset the stream, send nothing from
// this step; the session is then Aborted. After End is sent (Finished)
// the driver keeps feeding R's frames until end of stream; a Facts frame
// for which Step returns nil is one merge batch for ingress.
type Initiator struct {
	cfg  InitiatorConfig
	keys SessionKeys

	state   iState
	setSize uint64
	cap     uint64
	credit  uint64
	got     uint64 // symbols received, all states
	dec     *riblt.Decoder
	ids     []journal.EntryID // fallback: R's ids so far
	wanted  map[journal.EntryID]struct{}
	outcome Outcome
	stats   Stats
}

// NewInitiator validates cfg and derives the session keys.
func NewInitiator(cfg InitiatorConfig) (*Initiator, error) {
	if err := cfg.Config.Validate(); err != nil {
		return nil, err
	}
	if cfg.Mode != ModeReconcile && cfg.Mode != ModePush {
		return nil, fmt.Errorf("%w: mode %d", ErrConfig, cfg.Mode)
	}
	if cfg.Members == nil || cfg.Entries == nil || cfg.Signer == nil {
		return nil, fmt.Errorf("%w: Members, Entries and Signer are required", ErrConfig)
	}
	return &Initiator{cfg: cfg, keys: DeriveKeys(cfg.S, cfg.NonceI, cfg.Local, cfg.Remote)}, nil
}

// Outcome is Pending until End is sent (or Aborted after an error).
func (in *Initiator) Outcome() Outcome { return in.outcome }

// Finished reports whether End has been sent or the session aborted.
func (in *Initiator) Finished() bool { return in.state >= iDraining }

// Stats returns the session counters.
func (in *Initiator) Stats() Stats { return in.stats }

// Wanted reports whether id was requested with Want; ingress uses it to
// check R's Facts.
func (in *Initiator) Wanted(id journal.EntryID) bool {
	_, ok := in.wanted[id]
	return ok
}

// Start returns the Hello frame.
func (in *Initiator) Start() ([]Frame, error) {
	if in.state != iNew {
		return nil, fmt.Errorf("%w: Start called twice", ErrUnexpectedFrame)
	}
	c := &in.cfg
	sig, err := c.Signer.Sign(authDigestI(in))
	if err != nil {
		return nil, err
	}
	box := HelloBox{Mode: c.Mode, Author: c.Signer.Author(), Sig: sig, Token: c.Token}
	if c.Mode == ModeReconcile {
		box.Sym0 = riblt.Symbol0(in.keys.Sip, c.Set)
	}
	if c.Guard != nil {
		if box.Receipt, err = c.Guard.Receipt(payloadHash(c.NonceI, in.keys.Ref, box.canonical(false))); err != nil {
			return nil, err
		}
	}
	sealed, err := seal(in.keys.BoxI, box.canonical(true), helloBoxSize(&box))
	if err != nil {
		return nil, err
	}
	in.state = iHello
	return []Frame{Hello{NonceI: c.NonceI, Ref: in.keys.Ref, Box: sealed}}, nil
}

func authDigestI(in *Initiator) []byte {
	d := authDigest("I", in.keys.Ref, in.cfg.NonceI, in.cfg.Local, in.cfg.Remote)
	return d[:]
}

// Step consumes one frame from R.
func (in *Initiator) Step(f Frame) ([]Frame, error) {
	if in.state == iClosed {
		return nil, ErrFinished
	}
	out, err := in.step(f)
	if err != nil {
		in.state, in.outcome = iClosed, Aborted
		return nil, err
	}
	return out, nil
}

func (in *Initiator) step(f Frame) ([]Frame, error) {
	switch f := f.(type) {
	case HelloAck:
		if in.state == iHello {
			return in.onHelloAck(f)
		}
	case Symbols:
		if in.state >= iSymbols {
			return in.onSymbols(f)
		}
	case Ids:
		if in.state == iIds {
			return in.onIds(f)
		}
	case Facts:
		if in.state == iDraining {
			return nil, in.onFacts(f)
		}
	}
	return nil, fmt.Errorf("%w: %v in initiator state %d", ErrUnexpectedFrame, f.Kind(), in.state)
}

func (in *Initiator) onHelloAck(a HelloAck) ([]Frame, error) {
	if subtle.ConstantTimeCompare(a.Ack[:], in.keys.Ack[:]) != 1 {
		return nil, fmt.Errorf("%w: Ack mismatch", ErrNotMember)
	}
	body, err := open(in.keys.BoxR, a.Box, BoxSize)
	if err != nil {
		return nil, err
	}
	box, err := DecodeAckBox(body)
	if err != nil {
		return nil, err
	}
	d := authDigest("R", in.keys.Ref, in.cfg.NonceI, in.cfg.Local, in.cfg.Remote)
	if pub, ok := in.cfg.Members.MemberKey(box.Author); !ok || !ed25519.Verify(pub, d[:], box.Sig) {
		return nil, fmt.Errorf("%w: HelloAck author", ErrNotMember)
	}
	if g := in.cfg.Guard; g != nil {
		ph := payloadHash(in.cfg.NonceI, in.keys.Ack, box.canonical(false))
		if err := g.Admit(box.Author, in.cfg.Mode, Token{}, box.Receipt, ph); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDenied, err)
		}
	}
	in.setSize = box.SetSize
	switch {
	case in.cfg.Mode == ModePush:
		return in.push(), nil
	case box.Status == StatusEqual:
		in.state, in.outcome = iDraining, Equal
		return []Frame{End{}}, nil
	}
	in.dec = riblt.NewDecoder(in.keys.Sip, in.cfg.Set, in.setSize)
	in.cap = in.cfg.Config.Cap(in.setSize)
	in.credit = uint64(in.cfg.Config.Window)
	in.state = iSymbols
	return nil, nil
}

// push sends the announced entries and End (ModePush).
func (in *Initiator) push() []Frame {
	ids := in.cfg.Announce[:min(len(in.cfg.Announce), in.cfg.Config.AnnounceMax)]
	out, n := packFacts(in.cfg.Entries, ids)
	in.stats.Pushed = n
	in.state, in.outcome = iDraining, classify(0, n)
	return append(out, End{})
}

func (in *Initiator) onSymbols(s Symbols) ([]Frame, error) {
	if len(s.Syms) > SymbolsPerFrame {
		return nil, fmt.Errorf("%w: %d symbols in one frame", ErrFrameLimit, len(s.Syms))
	}
	if uint64(s.First) != in.got {
		return nil, fmt.Errorf("%w: first %d, expected %d", riblt.ErrIndexGap, s.First, in.got)
	}
	if in.got+uint64(len(s.Syms)) > in.credit {
		return nil, fmt.Errorf("%w: %d symbols, credit %d", riblt.ErrBeyondCredit, in.got+uint64(len(s.Syms)), in.credit)
	}
	in.got += uint64(len(s.Syms))
	in.stats.Symbols = in.got
	if in.state != iSymbols {
		return nil, nil // in flight before R saw Done or Full
	}
	for _, sym := range s.Syms {
		if err := in.dec.AddSymbol(sym); err != nil {
			return nil, err
		}
		if in.dec.Decoded() {
			return in.decoded(), nil
		}
		if in.dec.Received() >= in.cap {
			in.state = iIds
			return []Frame{Full{}}, nil
		}
	}
	w := uint64(in.cfg.Config.Window)
	if in.got+w/2 >= in.credit {
		in.credit = in.got + w
		return []Frame{More{Credit: uint32(in.credit)}}, nil
	}
	return nil, nil
}

// decoded ends step 3–5 successfully: Done, then fetch and push.
func (in *Initiator) decoded() []Frame {
	in.stats.DecodedAt = in.dec.DecodedAt()
	remote := toEntryIDs(in.dec.RemoteOnly())
	local := toEntryIDs(in.dec.LocalOnly())
	out := []Frame{Done{Received: uint32(in.dec.DecodedAt())}}
	return append(out, in.fetchAndPush(remote, local, classify(len(remote), len(local)))...)
}

func toEntryIDs(xs [][32]byte) []journal.EntryID {
	out := make([]journal.EntryID, len(xs))
	for i, x := range xs {
		out[i] = journal.EntryID(x)
	}
	slices.SortFunc(out, compareIDs)
	return out
}

func compareIDs(a, b journal.EntryID) int { return bytes.Compare(a[:], b[:]) }

// fetchAndPush is step 6 and 7: Want the remote-only ids, push the
// local-only entries (each at most MaxFactsPerSession), then End.
func (in *Initiator) fetchAndPush(remoteOnly, localOnly []journal.EntryID, o Outcome) []Frame {
	limit := in.cfg.Config.MaxFactsPerSession
	want := remoteOnly[:min(len(remoteOnly), limit)]
	in.wanted = make(map[journal.EntryID]struct{}, len(want))
	var out []Frame
	for chunk := range slices.Chunk(want, WantPerFrame) {
		out = append(out, Want{IDs: chunk})
		for _, id := range chunk {
			in.wanted[id] = struct{}{}
		}
	}
	pushed, n := packFacts(in.cfg.Entries, localOnly[:min(len(localOnly), limit)])
	in.stats.Wanted, in.stats.Pushed = len(want), n
	in.state, in.outcome = iDraining, o
	out = append(out, pushed...)
	return append(out, End{})
}

func (in *Initiator) onIds(m Ids) ([]Frame, error) {
	if len(m.IDs) > IdsPerFrame {
		return nil, fmt.Errorf("%w: %d ids in one frame", ErrFrameLimit, len(m.IDs))
	}
	if len(m.IDs) == 0 && in.setSize != 0 {
		return nil, fmt.Errorf("%w: empty Ids frame", ErrBadIds)
	}
	if uint64(len(in.ids)+len(m.IDs)) > in.setSize {
		return nil, fmt.Errorf("%w: more ids than SetSize %d", ErrSessionLimit, in.setSize)
	}
	for _, id := range m.IDs {
		if n := len(in.ids); n > 0 && compareIDs(in.ids[n-1], id) >= 0 {
			return nil, fmt.Errorf("%w: ids not strictly ascending", ErrBadIds)
		}
		in.ids = append(in.ids, id)
	}
	if uint64(len(in.ids)) < in.setSize {
		return nil, nil
	}
	remote, local := diffSorted(in.ids, in.cfg.Set)
	return in.fetchAndPush(remote, local, FellBack), nil
}

// diffSorted returns r \ l and l \ r for sorted r and any-order l.
func diffSorted(r, l []journal.EntryID) (rOnly, lOnly []journal.EntryID) {
	l = slices.Clone(l)
	slices.SortFunc(l, compareIDs)
	i, j := 0, 0
	for i < len(r) || j < len(l) {
		switch {
		case j == len(l) || (i < len(r) && compareIDs(r[i], l[j]) < 0):
			rOnly = append(rOnly, r[i])
			i++
		case i == len(r) || compareIDs(r[i], l[j]) > 0:
			lOnly = append(lOnly, l[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	return rOnly, lOnly
}

func (in *Initiator) onFacts(f Facts) error {
	if err := checkFacts(f); err != nil {
		return err
	}
	in.stats.FactsReceived += len(f.Entries)
	if in.stats.FactsReceived > in.stats.Wanted {
		return fmt.Errorf("%w: %d facts for %d wanted", ErrSessionLimit, in.stats.FactsReceived, in.stats.Wanted)
	}
	return nil
}
