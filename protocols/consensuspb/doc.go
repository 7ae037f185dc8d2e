// Package consensuspb holds the generated protobuf messages of
// /aura/consensus/1.0.0 (SPEC §5.2–§5.3), from consensus.proto. One frame
// carries one ConsensusFrame.
//
// Invariants: generated code matches consensus.proto
// (scripts/check-generated.sh); arbitrary bytes never panic the decoder and
// every decodable input re-encodes to an equal message (fuzz_test.go
// FuzzConsensusFrame); field numbers are append-only (protocols/fields_test.go).
package consensuspb
