package tree

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzDecodeTreeOp(f *testing.F) {
	f.Add(sampleOp().Canonical())
	f.Add((&TreeOp{Version: 1, Kind: RemoveLeaf, Remove: []LeafID{1, 2}}).Canonical())
	f.Add((&TreeOp{Version: 1, Kind: RotateEpoch}).Canonical())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		op, err := DecodeTreeOp(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(op.Canonical(), b) {
			t.Fatal("decoded op does not re-encode to its input")
		}
		_ = op.OpHash()
	})
}

func FuzzDecodeKeyRotation(f *testing.F) {
	f.Add(sampleRotation().Canonical())
	f.Add((&KeyRotation{}).Canonical())
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := DecodeKeyRotation(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(k.Canonical(), b) {
			t.Fatal("decoded rotation does not re-encode to its input")
		}
	})
}

func FuzzDecodeTreeState(f *testing.F) {
	fx := newFixture(f, 6)
	f.Add(fx.g0.Canonical())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeTreeState(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(s.Canonical(), b) {
			t.Fatal("decoded state does not re-encode to its input")
		}
		_ = s.ComputeRoot()
	})
}

// FuzzScopeExecute: arbitrary op bytes at a real state give a root or an
// ErrInvalidOp error, never a panic.
func FuzzScopeExecute(f *testing.F) {
	fx := newFixture(f, 7)
	sc := NewScope(fx.auth, fx.g0)
	f.Add(rotate(fx.g0, 1).Canonical())
	f.Add(fx.op(fx.g0, RotateEpoch, nil, nil, nil, true).Canonical()) // single-device NewKey
	f.Add(sampleOp().Canonical())
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := sc.Execute(b); err != nil && !errors.Is(err, ErrInvalidOp) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
