package protocols

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// marshalOpts makes the encoding of a given message value stable across
// runs (no map-order dependence), so re-encoding a decoded frame is
// reproducible.
var marshalOpts = proto.MarshalOptions{Deterministic: true}

// unmarshalOpts bounds nesting; the schemas nest at most a few levels, and
// unknown fields are kept (forward compatibility) without being parsed.
var unmarshalOpts = proto.UnmarshalOptions{RecursionLimit: 32}

// Marshal encodes m deterministically and checks the result against max,
// the protocol's frame cap (MaxFrame), so a sender never writes a frame its
// peer must reject. An oversize message fails with ErrFrameTooLarge before
// any encoding buffer is allocated.
func Marshal(m proto.Message, max int) ([]byte, error) {
	if n := marshalOpts.Size(m); n > max {
		return nil, fmt.Errorf("%w: message is %d > %d bytes", ErrFrameTooLarge, n, max)
	}
	return marshalOpts.Marshal(m)
}

// Unmarshal decodes frame into m, resetting m first. Any decoding failure
// wraps ErrBadMessage (and the protobuf error). It does not validate field
// sizes or semantics; the owning protocol package does.
func Unmarshal(frame []byte, m proto.Message) error {
	if err := unmarshalOpts.Unmarshal(frame, m); err != nil {
		return fmt.Errorf("%w: %w", ErrBadMessage, err)
	}
	return nil
}
