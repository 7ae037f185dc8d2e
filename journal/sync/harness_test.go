package sync

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/aura-p2p/aura-p2p/internal/canon"
	"github.com/aura-p2p/aura-p2p/journal"
)

// member is one test identity.
type member struct {
	author [16]byte
	priv   ed25519.PrivateKey
}

func newMember(i byte) member {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = i
	m := member{priv: ed25519.NewKeyFromSeed(seed)}
	m.author[0] = i
	return m
}

func (m member) Author() [16]byte                { return m.author }
func (m member) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(m.priv, msg), nil }

// roster implements Members.
type roster map[[16]byte]ed25519.PublicKey

func (r roster) MemberKey(a [16]byte) (ed25519.PublicKey, bool) {
	k, ok := r[a]
	return k, ok
}

func rosterOf(ms ...member) roster {
	r := roster{}
	for _, m := range ms {
		r[m.author] = m.priv.Public().(ed25519.PublicKey)
	}
	return r
}

// store is an in-memory entry store; EntryID = H(entry) stands in for
// the journal's derivation.
type store map[journal.EntryID][]byte

func (s store) Entry(id journal.EntryID) ([]byte, bool) {
	e, ok := s[id]
	return e, ok
}

func (s store) ids() []journal.EntryID {
	out := make([]journal.EntryID, 0, len(s))
	for id := range s {
		out = append(out, id)
	}
	slices.SortFunc(out, compareIDs)
	return out
}

func (s store) ingest(entries [][]byte) {
	for _, e := range entries {
		s[journal.EntryID(canon.H("test/entry", e))] = bytes.Clone(e)
	}
}

func (s store) clone() store {
	c := store{}
	for k, v := range s {
		c[k] = v
	}
	return c
}

// makeStores returns a common store of n entries plus remote-only and
// local-only extras; entries are small random blobs.
func makeStores(seed uint64, n, remoteOnly, localOnly int) (remote, local store) {
	r := rand.New(rand.NewPCG(seed, 99))
	blob := func() []byte {
		b := make([]byte, 20+r.IntN(60))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	remote = store{}
	for range n {
		remote.ingest([][]byte{blob()})
	}
	local = remote.clone()
	for range remoteOnly {
		remote.ingest([][]byte{blob()})
	}
	for range localOnly {
		local.ingest([][]byte{blob()})
	}
	return remote, local
}

// resolver serves one namespace under a list of key epochs.
type resolver struct {
	secrets []Secret
	served  Served
}

func (rs resolver) Resolve(nonceI, ref [16]byte, pI, pR []byte) (Served, bool) {
	i, ok := MatchRef(rs.secrets, nonceI, ref, pI, pR)
	if !ok {
		return Served{}, false
	}
	s := rs.served
	s.S = rs.secrets[i]
	return s, true
}

var (
	peerI = []byte("peer-initiator")
	peerR = []byte("peer-responder")
)

// world is one initiator/responder pair over in-memory stores.
type world struct {
	iStore, rStore store
	iCfg           InitiatorConfig
	rCfg           ResponderConfig
	// tamper, if set, rewrites R→I frames before delivery.
	tamper func(Frame) Frame
}

func newWorld(seed uint64, n, remoteOnly, localOnly int) *world {
	rs, ls := makeStores(seed, n, remoteOnly, localOnly)
	a, b := newMember(1), newMember(2)
	members := rosterOf(a, b)
	s := DeriveSecret([]byte("context key epoch 3"))
	w := &world{iStore: ls, rStore: rs}
	w.iCfg = InitiatorConfig{
		Config: DefaultConfig(), S: s, Local: peerI, Remote: peerR, Mode: ModeReconcile,
		Set: ls.ids(), Members: members, Entries: ls, Signer: a,
	}
	w.iCfg.NonceI[0] = byte(seed)
	w.rCfg = ResponderConfig{
		Config: DefaultConfig(), Local: peerR, Remote: peerI,
		Resolver: resolver{
			secrets: []Secret{DeriveSecret([]byte("context key epoch 2")), s},
			served:  Served{Set: rs.ids(), Members: members, Entries: rs, Signer: b},
		},
	}
	return w
}

// flight is one in-transit frame; depth counts half round trips since
// Hello (Hello 0, HelloAck 1, …).
type flight struct {
	f     Frame
	depth int
}

// result is what a pumped session produced.
type result struct {
	in       *Initiator
	r        *Responder
	iErr     error
	rErr     error
	rtDone   int // round trips when Done or Full went out (0: never)
	frames   map[FrameKind]int
	rToI     []Frame
	symBytes int
}

// run drives both cores to quiescence: the frame with the smallest depth
// is delivered next (R→I first on ties), FIFO per direction. An error
// stops that side (its stream is reset) and ends the run.
func (w *world) run(t testing.TB) result {
	t.Helper()
	in, err := NewInitiator(w.iCfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewResponder(w.rCfg)
	if err != nil {
		t.Fatal(err)
	}
	res := result{in: in, r: r, frames: map[FrameKind]int{}}
	hello, err := in.Start()
	if err != nil {
		t.Fatal(err)
	}
	var toR, toI []flight
	for _, f := range hello {
		toR = append(toR, flight{f, 0})
	}
	for steps := 0; len(toR)+len(toI) > 0; steps++ {
		if steps > 100_000 {
			t.Fatal("session does not terminate")
		}
		if len(toI) > 0 && (len(toR) == 0 || toI[0].depth <= toR[0].depth) {
			fl := toI[0]
			toI = toI[1:]
			if w.tamper != nil {
				fl.f = w.tamper(fl.f)
			}
			res.rToI = append(res.rToI, fl.f)
			out, err := in.Step(fl.f)
			if err != nil {
				res.iErr = err
				return res
			}
			if fs, ok := fl.f.(Facts); ok {
				w.iStore.ingest(fs.Entries)
			}
			for _, f := range out {
				res.frames[f.Kind()]++
				if (f.Kind() == KindDone || f.Kind() == KindFull) && res.rtDone == 0 {
					res.rtDone = (fl.depth + 1) / 2
				}
				toR = append(toR, flight{f, fl.depth + 1})
			}
			continue
		}
		fl := toR[0]
		toR = toR[1:]
		out, err := r.Step(fl.f)
		if err != nil {
			res.rErr = err
			if len(out) != 0 {
				t.Fatalf("responder returned %d frames with error %v", len(out), err)
			}
			return res
		}
		if fs, ok := fl.f.(Facts); ok {
			w.rStore.ingest(fs.Entries)
		}
		for _, f := range out {
			res.frames[f.Kind()]++
			toI = append(toI, flight{f, fl.depth + 1})
		}
	}
	return res
}

// mustOK asserts both sides finished without error with the given
// outcomes and identical stores.
func mustOK(t *testing.T, w *world, res result, iOut, rOut Outcome) {
	t.Helper()
	if res.iErr != nil || res.rErr != nil {
		t.Fatalf("errors: initiator %v, responder %v", res.iErr, res.rErr)
	}
	if !res.in.Finished() || !res.r.Finished() {
		t.Fatalf("not finished: initiator %v responder %v", res.in.Finished(), res.r.Finished())
	}
	if res.in.Outcome() != iOut || res.r.Outcome() != rOut {
		t.Fatalf("outcomes %v/%v, want %v/%v", res.in.Outcome(), res.r.Outcome(), iOut, rOut)
	}
	if !slices.Equal(w.iStore.ids(), w.rStore.ids()) {
		t.Fatalf("stores differ after sync: %d vs %d entries", len(w.iStore), len(w.rStore))
	}
}

func errIs(err error, targets ...error) bool {
	for _, t := range targets {
		if !errors.Is(err, t) {
			return false
		}
	}
	return err != nil
}

func (r result) String() string {
	return fmt.Sprintf("frames=%v rtDone=%d iErr=%v rErr=%v", r.frames, r.rtDone, r.iErr, r.rErr)
}
