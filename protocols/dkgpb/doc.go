// Package dkgpb holds the generated protobuf messages of /aura/dkg/1.0.0
// (SPEC §4 DKG, §4.1 ceremony), from dkg.proto. One frame carries one
// DKGFrame.
//
// Invariants: generated code matches dkg.proto (scripts/check-generated.sh);
// arbitrary bytes never panic the decoder and every decodable input
// re-encodes to an equal message (fuzz_test.go FuzzDKGFrame); field numbers
// are append-only (protocols/fields_test.go).
package dkgpb
