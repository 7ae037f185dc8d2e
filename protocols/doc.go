// Package protocols is the wire-format contract of aura-p2p (SPEC §0, §9,
// §10, §15; STYLE §8): the libp2p stream protocol IDs, their per-protocol
// frame caps, uvarint length-prefixed framing, and one generated protobuf
// package per protocol:
//
//	syncpb       /aura/sync/1.0.0       SyncFrame      (SPEC §9)
//	consensuspb  /aura/consensus/1.0.0  ConsensusFrame (SPEC §5.3)
//	dkgpb        /aura/dkg/1.0.0        DKGFrame       (SPEC §4, §4.1)
//	invitepb     /aura/invite/1.0.0     InviteFrame    (SPEC §4.1, §7.1)
//
// # Usage
//
// A frame is one uvarint length prefix followed by one protobuf message,
// the protocol's XxxFrame wrapper whose oneof names the message kind:
//
//	b, err := protocols.Marshal(&syncpb.SyncFrame{Body: &syncpb.SyncFrame_More{More: m}}, protocols.MaxSyncFrame)
//	err = stream.WriteFrame(b)            // p2p.Stream, capped per protocol
//	...
//	b, err := stream.ReadFrame()          // ErrFrameTooLarge / ErrBadFrame ⇒ reset
//	var f syncpb.SyncFrame
//	err = protocols.Unmarshal(b, &f)      // ErrBadMessage ⇒ reset
//
// Decoding only checks the protobuf encoding. Field sizes (16- and 32-byte
// ids, 64-byte signatures), list lengths and semantics are validated by the
// owning protocol package before any core sees the value; hashed or signed
// structures are recomputed from decoded values by hand-written Canonical()
// encoders (protobuf is wire-only, SPEC §0).
//
// # Scope
//
// Belongs here: protocol IDs, caps, framing, .proto files and their
// generated code, decode helpers. Does not belong: validation, canonical
// encodings, crypto, I/O beyond framing (those live in journal/, flow/,
// consensus/).
//
// # Invariants
//
//   - Every frame of protocol p is at most MaxFrame(p) bytes, the SPEC §10
//     table (ids.go). A declared length above the cap fails with
//     ErrFrameTooLarge before the body is allocated; a malformed, truncated
//     or non-minimal prefix fails with ErrBadFrame; io.EOF only between
//     frames (frame.go; frame_test.go TestReadFrame*, TestReadFrameTooLargeDoesNotAllocate,
//     FuzzFrameReader). WriteFrame and Marshal refuse payloads over the cap
//     (TestWriteFrameCap, TestMarshalCap).
//   - Bad network input yields a typed error (ErrFrameTooLarge, ErrBadFrame,
//     ErrBadMessage), never a panic; every accepted frame and message
//     re-encodes to a value that decodes equal (FuzzFrameReader; FuzzSyncFrame,
//     FuzzConsensusFrame, FuzzDKGFrame, FuzzInviteFrame in the pb packages).
//   - The largest frames SPEC §9/§5/§4 allow fit their protocol cap
//     (caps_test.go TestWorstCaseFramesFitCaps).
//   - Field and enum numbers are append-only: a number, once published, keeps
//     its name and type or becomes reserved (fields_test.go
//     TestFieldNumbersAppendOnly against testdata/fieldnumbers.txt; after
//     adding a field run `go test ./protocols -run TestFieldNumbersAppendOnly -update`).
//   - Generated code is current: scripts/check-generated.sh regenerates into
//     a temporary directory and fails with a diff otherwise (CI, .ci/run).
//     Regenerate with scripts/gen-proto.sh or go generate ./protocols
//     (protoc 3.21.12, protoc-gen-go from go.mod's google.golang.org/protobuf
//     v1.36.12, paths=source_relative).
package protocols

//go:generate bash ../scripts/gen-proto.sh
