package protocols_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/aura-p2p/aura-p2p/protocols"
	"github.com/aura-p2p/aura-p2p/protocols/consensuspb"
	"github.com/aura-p2p/aura-p2p/protocols/syncpb"
)

// BenchmarkReadFrame reads 1 KiB frames from an in-memory stream.
func BenchmarkReadFrame(bm *testing.B) {
	frame := protocols.AppendFrame(nil, make([]byte, 1024))
	wire := bytes.Repeat(frame, 64)
	r := bytes.NewReader(wire)
	bm.SetBytes(int64(len(frame)))
	bm.ReportAllocs()
	fr := protocols.NewFrameReader(r, protocols.MaxSyncFrame)
	for bm.Loop() {
		if _, err := fr.ReadFrame(); err == io.EOF {
			r.Reset(wire)
			fr = protocols.NewFrameReader(r, protocols.MaxSyncFrame)
		} else if err != nil {
			bm.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalSymbols decodes a full Symbols frame (1024 symbols).
func BenchmarkUnmarshalSymbols(bm *testing.B) {
	b, err := protocols.Marshal(worstSync()["sync Symbols (1024 symbols)"], protocols.MaxSyncFrame)
	if err != nil {
		bm.Fatal(err)
	}
	bm.SetBytes(int64(len(b)))
	bm.ReportAllocs()
	var f syncpb.SyncFrame
	for bm.Loop() {
		if err := protocols.Unmarshal(b, &f); err != nil {
			bm.Fatal(err)
		}
	}
}

// BenchmarkMarshalExecute encodes the largest Execute (caps_test.go).
func BenchmarkMarshalExecute(bm *testing.B) {
	m := worstConsensus()["consensus Execute (max op, 1+2 packages of 64, 16 proofs)"].(*consensuspb.ConsensusFrame)
	bm.ReportAllocs()
	for bm.Loop() {
		if _, err := protocols.Marshal(m, protocols.MaxConsensusFrame); err != nil {
			bm.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalExecute decodes the largest Execute.
func BenchmarkUnmarshalExecute(bm *testing.B) {
	b, err := protocols.Marshal(worstConsensus()["consensus Execute (max op, 1+2 packages of 64, 16 proofs)"], protocols.MaxConsensusFrame)
	if err != nil {
		bm.Fatal(err)
	}
	bm.SetBytes(int64(len(b)))
	bm.ReportAllocs()
	var f consensuspb.ConsensusFrame
	for bm.Loop() {
		if err := protocols.Unmarshal(b, &f); err != nil {
			bm.Fatal(err)
		}
	}
}
