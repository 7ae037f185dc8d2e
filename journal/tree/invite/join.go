package invite

import (
	"context"
	"fmt"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/protocols"
)

// Request is the joiner side (SPEC §4.1 step 2): it opens
// /aura/invite/1.0.0 to inv.Inviter, sends the JoinRequest for c (a
// guarded authority-scope send charged to this device's own budget
// toward the inviter device), half-closes and waits for the JoinResult,
// which arrives only after the AddLeaf ceremony committed (minutes: give
// ctx a deadline above the inviter's JoinTimeout). It is idempotent for
// the same c: repeating it (e.g. after a crash before the reply) returns
// the inviter's stored JoinResult without a new ceremony.
//
// The caller must make inv.Inviter dialable first (the node adds
// inv.Addrs to the peerstore); c.Peer must be snd.Self() (ErrConfig).
// A reset or a close without a result ⇒ ErrRefused; a malformed result
// ⇒ ErrBadFrame; ctx ending ⇒ ctx.Err(); a guard denial ⇒ the flow
// error; an Open failure ⇒ the transport error.
func Request(ctx context.Context, snd *flow.Sender, inv Invite, c Candidate) (sealed []byte, keyEpoch uint64, err error) {
	if snd == nil || c.Peer != snd.Self() {
		return nil, 0, fmt.Errorf("%w: candidate peer must be the sender's own peer", ErrConfig)
	}
	frame, err := EncodeJoinRequest(NewJoinRequest(inv, c))
	if err != nil {
		return nil, 0, err
	}
	st, err := snd.Open(ctx, inv.Inviter, protocols.Invite)
	if err != nil {
		return nil, 0, ctxOr(ctx, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = st.Reset() })
	defer stop()
	m := flow.Msg{Kind: budget.MsgDKG, Scope: flow.ScopeAuthority, Ctx: budgetCtx(inv.Authority),
		Dst: deviceDst(inv.InviterKey), Frame: frame}
	if err := st.WriteFrame(ctx, m); err != nil {
		return nil, 0, ctxOr(ctx, err)
	}
	_ = st.CloseWrite()
	b, err := st.ReadFrame()
	if err != nil {
		_ = st.Reset()
		return nil, 0, ctxOr(ctx, fmt.Errorf("%w: %w", ErrRefused, err))
	}
	sealed, keyEpoch, err = DecodeJoinResult(b)
	if err != nil {
		_ = st.Reset()
		return nil, 0, err
	}
	_ = st.Close()
	return sealed, keyEpoch, nil
}

// ctxOr returns ctx's error once ctx ended (its AfterFunc reset the
// stream, so err is only the symptom), else err.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
