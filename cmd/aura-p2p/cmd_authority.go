package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aura-p2p/aura-p2p/control"
)

const authorityAbout = "Manage the authority of this device through the running daemon (DIR/control.sock).\n" +
	"Every command prints the daemon's JSON result; refusals (not a member, below\n" +
	"threshold, device offline past timeout) are explained on stderr with exit code 1."

func authoritySubs() []subcommand {
	return []subcommand{
		{"create", "create a one-device authority with this device (genesis)", runAuthorityCreate},
		{"show", "show an authority's devices, policy and epoch", runAuthorityShow},
		{"policy", "change the threshold M of an authority (ceremony)", runAuthorityPolicy},
		{"rotate", "rotate an authority's group key and secret (ceremony)", runAuthorityRotate},
	}
}

const deviceAbout = "Add and remove devices of an authority through the running daemon\n" +
	"(DIR/control.sock). An invitation code goes from the inviting device to the\n" +
	"joining one out of band (copy it by hand, a QR code, a message)."

func deviceSubs() []subcommand {
	return []subcommand{
		{"invite", "mint an invitation code for a new device", runDeviceInvite},
		{"join", "join the authority of an invitation code (on the new device)", runDeviceJoin},
		{"remove", "remove a device from an authority (ceremony)", runDeviceRemove},
	}
}

func runAuthority(ctx context.Context, std *stdio, args []string) error {
	return runGroup(ctx, std, "authority", authorityAbout, authoritySubs(), args)
}

func runDevice(ctx context.Context, std *stdio, args []string) error {
	return runGroup(ctx, std, "device", deviceAbout, deviceSubs(), args)
}

// callAndPrint calls method and prints its JSON result.
func callAndPrint(ctx context.Context, std *stdio, f *ctlFlags, method string, params any) error {
	var raw json.RawMessage
	if err := f.call(ctx, method, params, &raw); err != nil {
		return err
	}
	return printJSON(std.out, raw)
}

const authorityFlagDoc = "authority id (32 hex digits); default: the authority this device belongs to"

func runAuthorityCreate(ctx context.Context, std *stdio, args []string) error {
	var f ctlFlags
	fs := newFlagSet(std, "authority create", "--data DIR",
		"Create a new authority whose only device is this one (SPEC §4.1 genesis: policy\n"+
			"1-of-1). Prints authority_id and device_id. Calls authority.create.")
	f.register(fs, queryTimeout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	return callAndPrint(ctx, std, &f, control.MethodAuthorityCreate, control.AuthorityCreateParams{})
}

func runAuthorityShow(ctx context.Context, std *stdio, args []string) error {
	var f ctlFlags
	var p control.AuthorityShowParams
	fs := newFlagSet(std, "authority show", "--data DIR [--authority ID]",
		"Print the daemon's view of an authority: devices, policy M-of-N, epochs.\n"+
			"Calls authority.show.")
	f.register(fs, queryTimeout)
	fs.StringVar(&p.AuthorityID, "authority", "", authorityFlagDoc)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := firstErr(f.check(), checkID("authority", p.AuthorityID, false)); err != nil {
		return err
	}
	return callAndPrint(ctx, std, &f, control.MethodAuthorityShow, p)
}

func runAuthorityPolicy(ctx context.Context, std *stdio, args []string) error {
	var f ctlFlags
	var p control.AuthorityPolicyParams
	var m uint
	fs := newFlagSet(std, "authority policy", "--data DIR --threshold M [--authority ID]",
		"Change the threshold M (N stays the number of devices; 2 <= M <= N, or 1-of-1).\n"+
			"Runs a ceremony: every device must be online (a fresh DKG) and M of them must\n"+
			"approve. Calls authority.policy.")
	f.register(fs, ceremonyTimeout)
	fs.StringVar(&p.AuthorityID, "authority", "", authorityFlagDoc)
	fs.UintVar(&m, "threshold", 0, "new threshold M (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if m < 1 || m > 1<<16-1 {
		return usagef("--threshold is required and must be between 1 and 65535, got %d", m)
	}
	p.Threshold = uint16(m)
	if err := firstErr(f.check(), checkID("authority", p.AuthorityID, false)); err != nil {
		return err
	}
	return callAndPrint(ctx, std, &f, control.MethodAuthorityPolicy, p)
}

func runAuthorityRotate(ctx context.Context, std *stdio, args []string) error {
	var f ctlFlags
	var p control.AuthorityRotateParams
	fs := newFlagSet(std, "authority rotate", "--data DIR [--authority ID]",
		"Rotate the authority's key epoch: a fresh DKG among the same devices gives a new\n"+
			"group key and AuthoritySecret (policy unchanged). Every device must be online and\n"+
			"M must approve. Calls authority.rotate.")
	f.register(fs, ceremonyTimeout)
	fs.StringVar(&p.AuthorityID, "authority", "", authorityFlagDoc)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := firstErr(f.check(), checkID("authority", p.AuthorityID, false)); err != nil {
		return err
	}
	return callAndPrint(ctx, std, &f, control.MethodAuthorityRotate, p)
}

func runDeviceInvite(ctx context.Context, std *stdio, args []string) error {
	var f ctlFlags
	var p control.DeviceInviteParams
	var expiry time.Duration
	fs := newFlagSet(std, "device invite", "--data DIR [--authority ID] [--expiry 24h]",
		"Mint a one-use invitation code for a new device and print it with its expiry.\n"+
			"Give the code to the new device out of band; it runs 'aura-p2p device join'.\n"+
			"Calls device.invite.")
	f.register(fs, queryTimeout)
	fs.StringVar(&p.AuthorityID, "authority", "", authorityFlagDoc)
	fs.DurationVar(&expiry, "expiry", 0, "lifetime of the invitation (0: the daemon's default)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if expiry < 0 {
		return usagef("--expiry must not be negative, got %s", expiry)
	}
	p.ExpiryMs = expiry.Milliseconds()
	if err := firstErr(f.check(), checkID("authority", p.AuthorityID, false)); err != nil {
		return err
	}
	return callAndPrint(ctx, std, &f, control.MethodDeviceInvite, p)
}

func runDeviceJoin(ctx context.Context, std *stdio, args []string) error {
	var f ctlFlags
	var p control.DeviceJoinParams
	fs := newFlagSet(std, "device join", "--data DIR --code CODE",
		"On the new device: join the authority of an invitation code. The inviting device\n"+
			"must be reachable; it then runs the add-device ceremony (every device online).\n"+
			"Calls device.join.")
	f.register(fs, ceremonyTimeout)
	fs.StringVar(&p.Code, "code", "", "invitation code from 'aura-p2p device invite' (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if p.Code == "" {
		return usagef("--code is required")
	}
	if err := f.check(); err != nil {
		return err
	}
	return callAndPrint(ctx, std, &f, control.MethodDeviceJoin, p)
}

func runDeviceRemove(ctx context.Context, std *stdio, args []string) error {
	var f ctlFlags
	var p control.DeviceRemoveParams
	fs := newFlagSet(std, "device remove", "--data DIR --device ID [--authority ID]",
		"Remove a device from an authority. Runs a ceremony among the remaining devices\n"+
			"(all online for the DKG, M approving). Calls device.remove.")
	f.register(fs, ceremonyTimeout)
	fs.StringVar(&p.AuthorityID, "authority", "", authorityFlagDoc)
	fs.StringVar(&p.DeviceID, "device", "", "device id to remove (32 hex digits, required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := firstErr(f.check(), checkID("device", p.DeviceID, true), checkID("authority", p.AuthorityID, false)); err != nil {
		return err
	}
	return callAndPrint(ctx, std, &f, control.MethodDeviceRemove, p)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
