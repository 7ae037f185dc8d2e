package flow

import (
	"context"
	"fmt"

	ds "github.com/ipfs/go-datastore"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/guard"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Scope selects whose budget a stream frame charges (SPEC §6.2).
type Scope uint8

const (
	// ScopeContext: a split context budget toward Dst; a signed receipt
	// and the token hash travel with the frame.
	ScopeContext Scope = iota + 1
	// ScopeAuthority: a per-device budget (own devices); no receipt, no
	// capability check. Ctx is the authority's id, Dst the destination
	// device's id (both as 16-byte values).
	ScopeAuthority
)

// AttachFunc embeds a context-scope frame's canonical receipt and token
// hash into the frame whose payload hash the receipt carries, returning
// the bytes to write. It must not change frame's other bytes.
type AttachFunc func(frame, rcpt []byte, tokenHash [32]byte) []byte

// Msg is one guarded frame.
type Msg struct {
	Kind  budget.Msg
	Scope Scope
	Ctx   journal.ContextID
	Dst   journal.AuthorityID
	// Need is the capability of a MsgEnvelope's body type; other kinds
	// take theirs from the §6.2 table and ignore it.
	Need string
	// Frame is the encoded frame without its receipt: what the cost is
	// computed from and PayloadHash covers.
	Frame []byte
	// Attach embeds the receipt (context scope). Nil appends protobuf
	// fields 16 (receipt) and 17 (token_hash), the consensus and DKG frame
	// layout (AppendReceiptFields).
	Attach AttachFunc
	// Stage are the caller's writes for the charge batch (facts, vote
	// log, an inbound Admission).
	Stage []Stager
	// Override (optional) replaces the receipt's payload hash, the cost
	// or the capability need for frames whose receipt is not simply
	// attached to the frame (SPEC §9 "Guards"): sync boxes and grants.
	Override Override
}

// Override adjusts how a frame is priced and bound (zero fields: the
// defaults). Protocols use it only where the SPEC says so: sync Hello and
// HelloAck (receipt inside the box, PayloadHash over the box), sync
// credit grants (cost 1 + ⌈42·g/1024⌉, PayloadHash H("aura/sync-block/v1",
// NonceI, u32 grantNo)), and a responder's answers (no capability).
type Override struct {
	// PayloadHash, when non-zero, replaces H("aura/payload/v1", proto,
	// Frame) in the receipt.
	PayloadHash [32]byte
	// Cost, when non-zero, replaces cost(Kind, len(Frame)); it must lie
	// in [1, MaxFrameCost].
	Cost uint32
	// Answer marks a frame answering the peer's own guarded request: it
	// needs no capability (CapGuard skipped; the budget still applies).
	Answer bool
}

// attachOverhead bounds what Attach adds: the receipt, the token hash
// and their protobuf tags and lengths.
const attachOverhead = receipt.Size + 32 + 8

// AppendReceiptFields appends protobuf bytes fields 16 (receipt) and 17
// (token_hash) to a deterministically marshalled frame whose other
// fields all number below 16: the result equals marshalling the message
// with both fields set.
func AppendReceiptFields(frame, rcpt []byte, tokenHash [32]byte) []byte {
	out := make([]byte, 0, len(frame)+attachOverhead)
	out = append(out, frame...)
	out = protowire.AppendTag(out, 16, protowire.BytesType)
	out = protowire.AppendBytes(out, rcpt)
	out = protowire.AppendTag(out, 17, protowire.BytesType)
	return protowire.AppendBytes(out, tokenHash[:])
}

// Sender is the guarded sender: the only way protocol code writes to the
// network (SPEC §6.4, §15). It holds the p2p.Transport in an unexported
// field and exposes only guarded writes (Stream.WriteFrame, Publish,
// forward charges on Subscribe). It is safe for concurrent use.
type Sender struct {
	t    p2p.Transport
	exec *Executor
	st   State
	cfg  Config
	fr   *frontiers
	sl   *slotTables
	recv *Receiver
}

// New builds a Sender over transport t, datastore d (synced batches:
// journal.OpenPebble) and state st. Only the composition root (node/)
// calls it; protocol packages receive the *Sender.
func New(t p2p.Transport, d ds.Batching, st State, cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Sender{t: t, st: st, cfg: cfg, exec: NewExecutor(d, cfg.Metrics, cfg.Logger),
		fr: newFrontiers(cfg), sl: newSlotTables()}
	s.recv = newReceiver(s)
	return s, nil
}

// Executor exposes the executor (for CommitStaged and Spent).
func (s *Sender) Executor() *Executor { return s.exec }

// Receiver is the receive path of this sender's node.
func (s *Sender) Receiver() *Receiver { return s.recv }

// Self is the local peer ID.
func (s *Sender) Self() peer.ID { return s.t.Self() }

// Open opens a guarded stream to p speaking proto.
func (s *Sender) Open(ctx context.Context, p peer.ID, proto protocol.ID) (*Stream, error) {
	raw, err := s.t.Open(ctx, p, proto)
	if err != nil {
		return nil, err
	}
	return &Stream{s: raw, snd: s}, nil
}

// Handle registers h for inbound streams of proto; h gets a guarded
// stream.
func (s *Sender) Handle(proto protocol.ID, h func(*Stream)) {
	s.t.Handle(proto, func(raw p2p.Stream) { h(&Stream{s: raw, snd: s}) })
}

// RemoveHandler unregisters proto.
func (s *Sender) RemoveHandler(proto protocol.ID) { s.t.RemoveHandler(proto) }

// Stream is a guarded p2p.Stream: reads pass through, every write is a
// guarded send. A refused write resets the stream, so the remote peer
// observes only a reset, never error text (SPEC §6.6, §16.28).
type Stream struct {
	s   p2p.Stream
	snd *Sender
}

// WriteFrame charges m (SPEC §6.4) and writes its frame. Any failure
// before the write resets the stream and returns the local error
// (ErrAuthorizationDenied / ErrInsufficientBudget / ErrJournalCommitFailed
// wrapped); a transport error is returned as is (the charge stays).
func (st *Stream) WriteFrame(ctx context.Context, m Msg) error {
	err := st.snd.sendFrame(ctx, st.s, m)
	if err != nil {
		_ = st.s.Reset()
	}
	return err
}

// ReadFrame reads the next frame.
func (st *Stream) ReadFrame() ([]byte, error) { return st.s.ReadFrame() }

// CloseWrite half-closes the stream.
func (st *Stream) CloseWrite() error { return st.s.CloseWrite() }

// Close closes the stream.
func (st *Stream) Close() error { return st.s.Close() }

// Reset aborts the stream.
func (st *Stream) Reset() error { return st.s.Reset() }

// RemotePeer is the remote peer.
func (st *Stream) RemotePeer() peer.ID { return st.s.RemotePeer() }

// Protocol is the stream's protocol.
func (st *Stream) Protocol() protocol.ID { return st.s.Protocol() }

// sendFrame builds the snapshot of m and runs the executor with a write
// to raw.
func (s *Sender) sendFrame(ctx context.Context, raw p2p.Stream, m Msg) error {
	proto := raw.Protocol()
	over := 0
	if m.Scope == ScopeContext {
		over = attachOverhead
	}
	if len(m.Frame)+over > protocols.MaxFrame(proto) {
		return s.exec.refuse(m.Stage, &guard.DenialError{Stage: guard.StageSnapshot, Err: ErrBadMessage})
	}
	var snap *guard.Snapshot
	var sp *sendParams
	var err error
	switch m.Scope {
	case ScopeContext:
		snap, sp, err = s.contextSnapshot(m, proto)
	case ScopeAuthority:
		snap, err = s.deviceSnapshot(m.Kind, m.Ctx, m.Dst, s.cfg.AuthorityLocalLimit, len(m.Frame))
		sp = &sendParams{}
	default:
		err = &guard.DenialError{Stage: guard.StageSnapshot, Err: ErrBadMessage}
	}
	if err != nil {
		return s.exec.refuse(m.Stage, err)
	}
	_, err = s.exec.Charge(ctx, snap, sp.signer, m.Stage, func(c guard.Charge) error {
		return raw.WriteFrame(sp.frame(m, c))
	})
	return err
}

// deviceSnapshot is a per-device budget snapshot (authority scope,
// topics): Single table of the nominal device epoch, no capability, no
// receipt.
func (s *Sender) deviceSnapshot(kind budget.Msg, ctx journal.ContextID, dst journal.AuthorityID,
	limit uint64, n int) (*guard.Snapshot, error) {
	cost, err := budget.Cost(kind, n)
	if err != nil {
		return nil, &guard.DenialError{Stage: guard.StageSnapshot, Err: fmt.Errorf("%w: %w", ErrBadMessage, err)}
	}
	e := budget.DeviceSchedule().EpochAt(nowMs(s.cfg.Now))
	return &guard.Snapshot{Ctx: ctx, Dst: dst, Epoch: e, Cost: cost, Slots: budget.Single(e, limit)}, nil
}
