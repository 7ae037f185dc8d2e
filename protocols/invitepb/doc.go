// Package invitepb holds the generated protobuf messages of
// /aura/invite/1.0.0 (SPEC §4.1 JoinRequest and its JoinResult reply, §7.1
// InviteAccept), from
// invite.proto. One frame carries one InviteFrame.
//
// Invariants: generated code matches invite.proto
// (scripts/check-generated.sh); arbitrary bytes never panic the decoder and
// every decodable input re-encodes to an equal message (fuzz_test.go
// FuzzInviteFrame); field numbers are append-only (protocols/fields_test.go).
package invitepb
