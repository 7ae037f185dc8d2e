package devnet

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/aura-p2p/aura-p2p/control"
	"github.com/aura-p2p/aura-p2p/journal/tree/treesvc"
	"github.com/aura-p2p/aura-p2p/node/authsvc"
)

// authorityPeers is how many peers the authority step uses.
const authorityPeers = 4

// agreePoll is how often the authority step compares the members' views.
const agreePoll = 50 * time.Millisecond

// AuthorityStep runs SPEC §4.1 ceremonies on the first four peers through
// their control sockets (the calls `aura-p2p authority|device ...` make):
// p00 creates an authority; p01 and p02 join by invitation (the second
// device makes the policy 2-of-2, the third 2-of-3); p03 joins (2-of-4);
// p01 is removed; p00 rotates the key epoch. After each ceremony it
// prints the commit path and DKG / consensus / total latency, waits until
// every member's view has the same (epoch, key epoch, root) and prints
// it; the step fails if they still differ at its deadline.
func AuthorityStep(ctx context.Context, d *Devnet) error {
	if d.N() < authorityPeers {
		d.Printf("authority: skipped (needs %d peers, have %d)", authorityPeers, d.N())
		return nil
	}
	ps := d.Peers[:authorityPeers]
	for _, p := range ps {
		if !p.Control {
			return fmt.Errorf("%s: no control socket (data dir path too long for bind(2); use a shorter --dir)", p.Name)
		}
	}
	a := &authRun{d: d, start: time.Now()}
	var cr control.AuthorityCreateResult
	if err := call(ctx, ps[0], control.MethodAuthorityCreate, nil, &cr); err != nil {
		return err
	}
	a.aid = cr.AuthorityID
	d.Printf("authority: %s created %s (device %s, 1-of-1)", ps[0].Name, cr.AuthorityID, cr.DeviceID)
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return a.add(ctx, ps[0], ps[1], ps[:2]) },
		func(ctx context.Context) error { return a.add(ctx, ps[0], ps[2], ps[:3]) },
		func(ctx context.Context) error { return a.add(ctx, ps[0], ps[3], ps[:4]) },
		func(ctx context.Context) error { return a.remove(ctx, ps[0], ps[1], []*Peer{ps[0], ps[2], ps[3]}) },
		func(ctx context.Context) error { return a.rotate(ctx, ps[0], []*Peer{ps[0], ps[2], ps[3]}) },
	}
	for _, s := range steps {
		if err := s(ctx); err != nil {
			return err
		}
	}
	d.Note("authority: %d ceremonies on %d devices in %s; %s", a.ops, authorityPeers, round(time.Since(a.start)), a.summary())
	return nil
}

// authRun is the state of one authority step.
type authRun struct {
	d     *Devnet
	aid   string
	start time.Time
	ops   int
	paths map[string]int
	total []time.Duration
}

func (a *authRun) add(ctx context.Context, inviter, joiner *Peer, members []*Peer) error {
	var inv control.DeviceInviteResult
	if err := call(ctx, inviter, control.MethodDeviceInvite, control.DeviceInviteParams{AuthorityID: a.aid}, &inv); err != nil {
		return err
	}
	var jr control.DeviceJoinResult
	if err := call(ctx, joiner, control.MethodDeviceJoin, control.DeviceJoinParams{Code: inv.Code}, &jr); err != nil {
		return err
	}
	res := control.CeremonyResult{AuthorityID: a.aid}
	if jr.Ceremony != nil {
		res = *jr.Ceremony
	}
	// The inviter ran the DKG and consensus: report its timings.
	if s := inviter.Auth.Service(); s != nil {
		if dev, err := authsvc.ParseDevice(jr.DeviceID); err == nil {
			if rep, ok := s.JoinReport(dev); ok {
				res = authsvc.ResultOf(rep)
			}
		}
	}
	return a.report(ctx, fmt.Sprintf("add %s (invited by %s)", joiner.Name, inviter.Name), res, members)
}

func (a *authRun) remove(ctx context.Context, by, gone *Peer, members []*Peer) error {
	var res control.CeremonyResult
	p := control.DeviceRemoveParams{AuthorityID: a.aid, DeviceID: gone.Node.Device().ID.String()}
	if err := call(ctx, by, control.MethodDeviceRemove, p, &res); err != nil {
		return err
	}
	return a.report(ctx, fmt.Sprintf("remove %s (by %s)", gone.Name, by.Name), res, members)
}

func (a *authRun) rotate(ctx context.Context, by *Peer, members []*Peer) error {
	var res control.CeremonyResult
	if err := call(ctx, by, control.MethodAuthorityRotate, control.AuthorityRotateParams{AuthorityID: a.aid}, &res); err != nil {
		return err
	}
	return a.report(ctx, fmt.Sprintf("rotate (by %s)", by.Name), res, members)
}

// report prints one ceremony and the members' agreed views.
func (a *authRun) report(ctx context.Context, what string, r control.CeremonyResult, members []*Peer) error {
	a.ops++
	if a.paths == nil {
		a.paths = map[string]int{}
	}
	a.paths[r.Path]++
	a.total = append(a.total, time.Duration(r.TotalMs*float64(time.Millisecond)))
	a.d.Printf("authority: %s: path %s, DKG %.1f ms, consensus %.1f ms, total %.1f ms → epoch %d, key epoch %d",
		what, r.Path, r.DKGMs, r.ConsensusMs, r.TotalMs, r.Epoch, r.KeyEpoch)
	start := time.Now()
	views, err := agree(ctx, a.aid, members, r)
	a.printViews(members, views)
	if err != nil {
		return fmt.Errorf("after %s: %w", what, err)
	}
	a.d.Printf("authority: %d members agree (%s after the commit)", len(members), round(time.Since(start)))
	return nil
}

func (a *authRun) printViews(members []*Peer, views []*treesvc.View) {
	w := tabwriter.NewWriter(a.d.Out(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "MEMBER\tDEVICE\tEPOCH\tKEY EPOCH\tPOLICY\tROOT")
	for i, p := range members {
		v := views[i]
		if v == nil {
			fmt.Fprintf(w, "%s\t%s\t-\t-\t-\t(no view)\n", p.Name, short(p.Node.Device().ID.String()))
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d-of-%d\t%s\n", p.Name, short(p.Node.Device().ID.String()),
			v.Epoch, v.KeyEpoch, v.Policy.M, v.Policy.N, short(v.Root))
	}
	w.Flush()
}

func (a *authRun) summary() string {
	if len(a.total) == 0 {
		return "no ceremony"
	}
	var sum time.Duration
	mx := a.total[0]
	for _, t := range a.total {
		sum += t
		mx = max(mx, t)
	}
	return fmt.Sprintf("paths %v; ceremony total mean %s, max %s", a.paths, round(sum/time.Duration(len(a.total))),
		round(mx))
}

// agree polls authority.show on every member until each view has the
// result's epoch, key epoch and root and lists exactly the members, or
// ctx ends (then it returns the last views and an error).
func agree(ctx context.Context, aid string, members []*Peer, r control.CeremonyResult) ([]*treesvc.View, error) {
	tick := time.NewTicker(agreePoll)
	defer tick.Stop()
	for {
		views := make([]*treesvc.View, len(members))
		var errs []error
		for i, p := range members {
			var v treesvc.View
			if err := call(ctx, p, control.MethodAuthorityShow, control.AuthorityShowParams{AuthorityID: aid}, &v); err != nil {
				errs = append(errs, err)
				continue
			}
			views[i] = &v
			if v.Epoch != r.Epoch || v.KeyEpoch != r.KeyEpoch || v.Root != r.Root || len(v.Devices) != len(members) {
				errs = append(errs, fmt.Errorf("%s at epoch %d key epoch %d root %s with %d devices", p.Name,
					v.Epoch, v.KeyEpoch, short(v.Root), len(v.Devices)))
			}
		}
		if len(errs) == 0 {
			return views, nil
		}
		select {
		case <-ctx.Done():
			return views, fmt.Errorf("members disagree: want epoch %d key epoch %d root %s: %w", r.Epoch, r.KeyEpoch,
				short(r.Root), errors.Join(errs...))
		case <-tick.C:
		}
	}
}

// call runs one control call on p's socket, like the CLI.
func call(ctx context.Context, p *Peer, method string, params, result any) error {
	c, err := control.Dial(p.Dir)
	if err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	if err := c.Call(ctx, method, params, result); err != nil {
		return fmt.Errorf("%s %s: %w", p.Name, method, err)
	}
	return nil
}

func short(hex string) string {
	if len(hex) <= 12 {
		return hex
	}
	return hex[:12] + "…"
}
