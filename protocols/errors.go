package protocols

import "errors"

// ErrBadMessage reports a frame that is not a valid protobuf encoding of
// the protocol's frame message. The stream must be reset. (ErrFrameTooLarge
// and ErrBadFrame, the framing errors, are in frame.go.)
var ErrBadMessage = errors.New("protocols: malformed message")
