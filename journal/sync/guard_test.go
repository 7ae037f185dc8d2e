package sync

import (
	"bytes"
	"errors"
	"testing"
)

// testGuard issues receipts that are the payload hash itself and admits
// a box only if its receipt equals the recomputed payload hash and the
// token hash is the granted one.
type testGuard struct {
	granted [32]byte
	issued  int
}

var errNoCap = errors.New("test: capability missing")

func (g *testGuard) Receipt(ph [32]byte) ([]byte, error) {
	g.issued++
	return bytes.Clone(ph[:]), nil
}

func (g *testGuard) Admit(_ [16]byte, mode Mode, tok Token, receipt []byte, ph [32]byte) error {
	if !bytes.Equal(receipt, ph[:]) {
		return errors.New("test: receipt does not cover payload")
	}
	if mode == ModeReconcile && tok.Full == nil && tok.Hash != g.granted && tok.Hash != ([32]byte{}) {
		return errNoCap
	}
	return nil
}

// TestSessionGuard: receipts inside both boxes cover the recomputed
// PayloadHash; a token the guard refuses gets a reset and no frames.
func TestSessionGuard(t *testing.T) {
	w := newWorld(160, 100, 2, 2)
	ig, rg := &testGuard{}, &testGuard{}
	ig.granted[0], rg.granted[0] = 1, 1
	w.iCfg.Guard, w.iCfg.Token.Hash[0] = ig, 1
	rs := w.rCfg.Resolver.(resolver)
	rs.served.Guard = rg
	w.rCfg.Resolver = rs
	mustOK(t, w, w.run(t), Diverged, Diverged)
	if ig.issued != 1 || rg.issued != 1 {
		t.Fatalf("receipts issued: I %d, R %d", ig.issued, rg.issued)
	}

	w = newWorld(161, 100, 2, 2)
	w.iCfg.Guard, w.iCfg.Token.Hash[0] = &testGuard{}, 2
	rs = w.rCfg.Resolver.(resolver)
	rs.served.Guard = &testGuard{granted: [32]byte{1}}
	w.rCfg.Resolver = rs
	res := w.run(t)
	if !errIs(res.rErr, ErrDenied) || !errors.Is(res.rErr, errNoCap) || len(res.rToI) != 0 {
		t.Fatalf("denied token: err %v, %d frames", res.rErr, len(res.rToI))
	}
}
