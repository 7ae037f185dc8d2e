// Package syncpb holds the generated protobuf messages of /aura/sync/1.0.0
// (SPEC §9), from sync.proto. One frame carries one SyncFrame. The sealed
// Hello/HelloAck box plaintexts are canonical encodings owned by journal/sync.
//
// Invariants: generated code matches sync.proto (scripts/check-generated.sh);
// arbitrary bytes never panic the decoder and every decodable input
// re-encodes to an equal message (fuzz_test.go FuzzSyncFrame); field numbers
// are append-only (protocols/fields_test.go).
package syncpb
