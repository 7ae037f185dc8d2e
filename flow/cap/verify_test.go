package cap

import (
	"errors"
	"slices"
	"testing"

	"github.com/aura-p2p/aura-p2p/flow/internal/flowerr"
)

func TestIssueVerify(t *testing.T) {
	k, ip := key(1)
	_, np := key(2)
	tok := issue(t, k, grantBlock(bob, 12_000, 3, 9, np))
	f, err := Verify(&tok, bob, ctx1, 5, ip, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Caps, AllNames()) || f.Limit != 12_000 || f.Granted != 12_000 ||
		f.FromEpoch != 3 || f.ToEpoch != 9 || f.TokenHash != tok.Hash() {
		t.Fatalf("frontier = %+v", f)
	}
	if err := f.Permits(ConsensusInitiate, 9); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyFailures: every failure wraps flow.ErrAuthorizationDenied and
// names its cause.
func TestVerifyFailures(t *testing.T) {
	k, ip := key(1)
	k2, np := key(2)
	_, other := key(3)
	base := issue(t, k, grantBlock(bob, 12_000, 3, 9, np))
	narrow := CapBlock{Context: ctx1, Subject: carol, Caps: []string{SyncPushOps},
		FlowLimit: 8_000, FromEpoch: 4, ToEpoch: 8}
	tampered := base
	tampered.Blocks = slices.Clone(base.Blocks)
	tampered.Blocks[0].FlowLimit = 50_000
	badSig := base
	badSig.Blocks = slices.Clone(base.Blocks)
	badSig.Blocks[0].Sig[0] ^= 1
	widenCaps := narrow
	widenCaps.Caps = []string{"other:cap"}
	widenLimit := narrow
	widenLimit.FlowLimit = 13_000
	widenFrom := narrow
	widenFrom.FromEpoch = 2
	widenTo := narrow
	widenTo.ToEpoch = 10
	wrongCtx := narrow
	wrongCtx.Context = ctx2
	lowLimit := narrow
	lowLimit.FlowLimit = 6_399
	inverted := narrow
	inverted.FromEpoch, inverted.ToEpoch = 8, 4
	cases := []struct {
		name      string
		tok       CapToken
		presenter [16]byte
		ctx       [16]byte
		epoch     uint64
		issuer    [32]byte
		want      error
	}{
		{"tampered field", tampered, bob, ctx1, 5, ip, ErrBadSignature},
		{"bad sig", badSig, bob, ctx1, 5, ip, ErrBadSignature},
		{"wrong issuer key", base, bob, ctx1, 5, other, ErrWrongIssuer},
		{"wrong context", base, bob, ctx2, 5, ip, ErrWrongContext},
		{"presenter not subject", base, alice, ctx1, 5, ip, ErrWrongPresenter},
		{"epoch before window", base, bob, ctx1, 2, ip, ErrEpochWindow},
		{"epoch after window", base, bob, ctx1, 10, ip, ErrEpochWindow},
		{"empty token", CapToken{Issuer: ip}, bob, ctx1, 5, ip, ErrEmptyToken},
		{"widening caps", forceAppend(base, k2, widenCaps), carol, ctx1, 5, ip, ErrWidening},
		{"widening limit", forceAppend(base, k2, widenLimit), carol, ctx1, 5, ip, ErrWidening},
		{"widening from", forceAppend(base, k2, widenFrom), carol, ctx1, 5, ip, ErrWidening},
		{"widening to", forceAppend(base, k2, widenTo), carol, ctx1, 5, ip, ErrWidening},
		{"block in other ctx", forceAppend(base, k2, wrongCtx), carol, ctx1, 5, ip, ErrWrongContext},
		{"limit below MinLimit", forceAppend(base, k2, lowLimit), carol, ctx1, 5, ip, ErrLimitTooLow},
		{"inverted window", forceAppend(base, k2, inverted), carol, ctx1, 5, ip, ErrEpochWindow},
		{"block 1 wrong signer", forceAppend(base, k, narrow), carol, ctx1, 5, ip, ErrBadSignature},
		{"old subject presents", forceAppend(base, k2, narrow), bob, ctx1, 5, ip, ErrWrongPresenter},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(&c.tok, c.presenter, c.ctx, c.epoch, c.issuer, Policy{})
			if !errors.Is(err, c.want) || !errors.Is(err, flowerr.ErrAuthorizationDenied) {
				t.Fatalf("err = %v, want %v wrapping ErrAuthorizationDenied", err, c.want)
			}
		})
	}
	// The valid narrowing verifies, proving the failing cases differ only
	// in the broken property.
	ok := forceAppend(base, k2, narrow)
	if _, err := Verify(&ok, carol, ctx1, 5, ip, Policy{}); err != nil {
		t.Fatalf("valid chain refused: %v", err)
	}
}

func TestBlockErrorIndex(t *testing.T) {
	k, ip := key(1)
	k2, np := key(2)
	base := issue(t, k, grantBlock(bob, 12_000, 3, 9, np))
	bad := forceAppend(base, k2, CapBlock{Context: ctx1, Subject: carol, Caps: []string{"x"},
		FlowLimit: 8_000, FromEpoch: 4, ToEpoch: 8})
	_, err := Verify(&bad, carol, ctx1, 5, ip, Policy{})
	var be *BlockError
	if !errors.As(err, &be) || be.Index != 1 {
		t.Fatalf("err = %v, want BlockError at 1", err)
	}
}

func TestAttenuate(t *testing.T) {
	k, ip := key(1)
	k2, np := key(2)
	k3, np3 := key(3)
	base := issue(t, k, grantBlock(bob, 12_000, 3, 9, np))
	mid, err := Attenuate(base, k2, CapBlock{Context: ctx1, Subject: carol,
		Caps: []string{SyncRequestOps, SyncPushOps}, FlowLimit: 9_000, FromEpoch: 4, ToEpoch: 8, NextKey: np3})
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Blocks) != 1 {
		t.Fatal("Attenuate modified its input")
	}
	end, err := Attenuate(mid, k3, CapBlock{Context: ctx1, Subject: alice,
		Caps: []string{SyncPushOps}, FlowLimit: 7_000, FromEpoch: 5, ToEpoch: 5})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Verify(&end, alice, ctx1, 5, ip, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Caps, []string{SyncPushOps}) || f.Limit != 7_000 {
		t.Fatalf("frontier = %+v", f)
	}
	if _, err := Attenuate(base, k3, CapBlock{Context: ctx1, FlowLimit: 7_000}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("wrong holder key: %v", err)
	}
	if _, err := Attenuate(base, k2, CapBlock{Context: ctx1, FlowLimit: 20_000, FromEpoch: 3, ToEpoch: 9}); !errors.Is(err, ErrWidening) {
		t.Fatalf("widening attenuation: %v", err)
	}
	if _, err := Attenuate(CapToken{}, k2, CapBlock{}); !errors.Is(err, ErrEmptyToken) {
		t.Fatalf("empty token: %v", err)
	}
}

func TestIssueRefuses(t *testing.T) {
	k, _ := key(1)
	for name, b := range map[string]CapBlock{
		"low limit": grantBlock(bob, 6_399, 0, 1, [32]byte{}),
		"inverted":  grantBlock(bob, 6_400, 2, 1, [32]byte{}),
		"dup caps":  {Context: ctx1, Caps: []string{"a", "a"}, FlowLimit: 6_400},
		"empty cap": {Context: ctx1, Caps: []string{""}, FlowLimit: 6_400},
	} {
		if _, err := Issue(k, b); !errors.Is(err, flowerr.ErrAuthorizationDenied) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	tok := issue(t, k, CapBlock{Context: ctx1, Caps: []string{"b", "a"}, FlowLimit: 6_400})
	if !slices.Equal(tok.Blocks[0].Caps, []string{"a", "b"}) {
		t.Fatal("Issue must sort caps")
	}
}

func TestPolicy(t *testing.T) {
	k, ip := key(1)
	tok := issue(t, k, grantBlock(bob, 12_000, 0, 9, [32]byte{}))
	p := Policy{DenyCaps: []string{RelayForward, ConsensusDKG}, MaxLimit: 7_000}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	f, err := Verify(&tok, bob, ctx1, 1, ip, p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Has(RelayForward) || f.Has(ConsensusDKG) || !f.Has(SyncPushOps) || f.Limit != 7_000 || f.Granted != 12_000 {
		t.Fatalf("policy not applied: %+v", f)
	}
	if err := f.Permits(RelayForward, 1); !errors.Is(err, ErrNotPermitted) || !errors.Is(err, flowerr.ErrAuthorizationDenied) {
		t.Fatalf("Permits denied cap: %v", err)
	}
	if err := (Policy{MaxLimit: 6_399}).Validate(); !errors.Is(err, ErrBadPolicy) {
		t.Fatalf("low MaxLimit policy: %v", err)
	}
}

func TestNativeAuthorizer(t *testing.T) {
	k, ip := key(1)
	tok := issue(t, k, grantBlock(bob, 12_000, 0, 9, [32]byte{}))
	var a Authorizer = Native{}
	f, err := a.Authorize(tok.Canonical(), bob, ctx1, 1, ip)
	if err != nil || f.TokenHash != tok.Hash() {
		t.Fatalf("Authorize = %+v, %v", f, err)
	}
	if _, err := a.Authorize([]byte{1, 2}, bob, ctx1, 1, ip); !errors.Is(err, ErrMalformed) {
		t.Fatalf("garbage token: %v", err)
	}
}

// FuzzVerify: any decodable token, with any presenter byte and epoch,
// verifies or fails with an authorization denial — never a panic or
// another error.
func FuzzVerify(f *testing.F) {
	k, _ := key(1)
	k2, np := key(2)
	tok, _ := Issue(k, grantBlock(bob, 10_000, 0, 5, np))
	f.Add(tok.Canonical(), byte(0xb0), uint64(3))
	two, _ := Attenuate(tok, k2, CapBlock{Context: ctx1, Subject: carol,
		Caps: []string{SyncPushOps}, FlowLimit: 6400, FromEpoch: 1, ToEpoch: 2})
	f.Add(two.Canonical(), byte(0xca), uint64(1))
	f.Fuzz(func(t *testing.T, raw []byte, presenter byte, epoch uint64) {
		tk, err := Decode(raw)
		if err != nil {
			return
		}
		_, ip := key(1)
		fr, err := Verify(&tk, [16]byte{presenter}, ctx1, epoch, ip, Policy{MaxLimit: 7_000})
		if err != nil {
			if !errors.Is(err, flowerr.ErrAuthorizationDenied) {
				t.Fatalf("non-denial error %v", err)
			}
			return
		}
		if fr.Limit > 7_000 || fr.Limit < 6_400 || epoch < fr.FromEpoch || epoch > fr.ToEpoch {
			t.Fatalf("frontier outside bounds: %+v", fr)
		}
	})
}
