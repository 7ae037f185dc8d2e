package authsvc

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
	"github.com/aura-p2p/aura-p2p/node"
)

// Mount registers the authority and device methods of the control API
// (control/methods.go) on srv; pass it to control.NewService. The control
// service is built after this one (node.Config.Services order), so the
// running Service exists when Mount runs.
func (a *Authority) Mount(srv *control.Server, _ node.Env) error {
	h := handlers{a: a}
	regs := []func() error{
		func() error { return control.Register(srv, control.MethodAuthorityCreate, h.create) },
		func() error { return control.Register(srv, control.MethodAuthorityShow, h.show) },
		func() error { return control.Register(srv, control.MethodAuthorityPolicy, h.policy) },
		func() error { return control.Register(srv, control.MethodAuthorityRotate, h.rotate) },
		func() error { return control.Register(srv, control.MethodDeviceInvite, h.invite) },
		func() error { return control.Register(srv, control.MethodDeviceJoin, h.join) },
		func() error { return control.Register(srv, control.MethodDeviceRemove, h.remove) },
	}
	for _, r := range regs {
		if err := r(); err != nil {
			return err
		}
	}
	return nil
}

// handlers are the control methods; each maps its errors with wireErr.
type handlers struct{ a *Authority }

func (h handlers) svc() (*Service, error) {
	s := h.a.Service()
	if s == nil {
		return nil, ErrNotRunning
	}
	return s, s.check()
}

// resolve is svc plus the authority the request names (or this device's
// only one), its refusal already mapped to a control code.
func (h handlers) resolve(id string) (*Service, journal.AuthorityID, error) {
	s, err := h.svc()
	if err != nil {
		return nil, journal.AuthorityID{}, err
	}
	aid, err := s.Resolve(id)
	if err != nil {
		return nil, journal.AuthorityID{}, wireErr(err)
	}
	return s, aid, nil
}

func (h handlers) create(ctx context.Context, _ control.AuthorityCreateParams) (control.AuthorityCreateResult, error) {
	s, err := h.svc()
	if err != nil {
		return control.AuthorityCreateResult{}, err
	}
	aid, err := s.Create(ctx)
	if err != nil {
		return control.AuthorityCreateResult{}, wireErr(err)
	}
	return control.AuthorityCreateResult{AuthorityID: aid.String(), DeviceID: s.dev.ID.String()}, nil
}

func (h handlers) show(_ context.Context, p control.AuthorityShowParams) (treesvc.View, error) {
	s, aid, err := h.resolve(p.AuthorityID)
	if err != nil {
		return treesvc.View{}, err
	}
	v, err := s.Show(aid)
	return v, wireErr(err)
}

func (h handlers) policy(ctx context.Context, p control.AuthorityPolicyParams) (control.CeremonyResult, error) {
	s, aid, err := h.resolve(p.AuthorityID)
	if err != nil {
		return control.CeremonyResult{}, err
	}
	rep, err := s.Policy(ctx, aid, p.Threshold)
	return ResultOf(rep), wireErr(err)
}

func (h handlers) rotate(ctx context.Context, p control.AuthorityRotateParams) (control.CeremonyResult, error) {
	s, aid, err := h.resolve(p.AuthorityID)
	if err != nil {
		return control.CeremonyResult{}, err
	}
	rep, err := s.Rotate(ctx, aid)
	return ResultOf(rep), wireErr(err)
}

func (h handlers) invite(ctx context.Context, p control.DeviceInviteParams) (control.DeviceInviteResult, error) {
	// Checked in ms: a huge expiry_ms would overflow the Duration and
	// could wrap into the accepted range.
	if p.ExpiryMs < 0 || p.ExpiryMs > MaxInviteExpiry.Milliseconds() {
		return control.DeviceInviteResult{}, wireErr(fmt.Errorf("%w: expiry_ms %d outside [0, %d]",
			treesvc.ErrBadChange, p.ExpiryMs, MaxInviteExpiry.Milliseconds()))
	}
	s, aid, err := h.resolve(p.AuthorityID)
	if err != nil {
		return control.DeviceInviteResult{}, err
	}
	inv, err := s.Invite(ctx, aid, time.Duration(p.ExpiryMs)*time.Millisecond)
	if err != nil {
		return control.DeviceInviteResult{}, wireErr(err)
	}
	return control.DeviceInviteResult{Code: inv.Code(), ExpiresAtMs: inv.ExpiryMs}, nil
}

func (h handlers) join(ctx context.Context, p control.DeviceJoinParams) (control.DeviceJoinResult, error) {
	s, err := h.svc()
	if err != nil {
		return control.DeviceJoinResult{}, err
	}
	rep, err := s.Join(ctx, p.Code)
	if err != nil {
		return control.DeviceJoinResult{}, wireErr(err)
	}
	r := ResultOf(rep)
	return control.DeviceJoinResult{AuthorityID: rep.Authority.String(), DeviceID: s.dev.ID.String(), Ceremony: &r}, nil
}

func (h handlers) remove(ctx context.Context, p control.DeviceRemoveParams) (control.CeremonyResult, error) {
	s, aid, err := h.resolve(p.AuthorityID)
	if err != nil {
		return control.CeremonyResult{}, err
	}
	d, err := ParseDevice(p.DeviceID)
	if err != nil {
		return control.CeremonyResult{}, wireErr(err)
	}
	rep, err := s.Remove(ctx, aid, d)
	return ResultOf(rep), wireErr(err)
}

// ResultOf is the control API's form of a ceremony report.
func ResultOf(r treesvc.Report) control.CeremonyResult {
	return control.CeremonyResult{
		AuthorityID: r.Authority.String(), Epoch: r.Epoch, KeyEpoch: r.KeyEpoch,
		Root: hex.EncodeToString(r.Root[:]), CID: hex.EncodeToString(r.CID[:]), Path: r.Path,
		DKGMs: ms(r.DKG), ConsensusMs: ms(r.Consensus), TotalMs: ms(r.Total),
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
