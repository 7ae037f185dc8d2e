package protocols

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

var (
	// ErrFrameTooLarge reports a frame whose declared length exceeds the
	// protocol cap. The stream must be reset.
	ErrFrameTooLarge = errors.New("protocols: frame exceeds protocol cap")
	// ErrBadFrame reports a malformed length prefix or a truncated frame.
	// The stream must be reset.
	ErrBadFrame = errors.New("protocols: malformed frame")
)

// maxPrefix is the longest uvarint length prefix we accept: 4 bytes
// encode up to 2^28-1, far above every cap; longer encodings are
// malformed (also catches non-minimal padding attacks cheaply).
const maxPrefix = 4

// FrameReader reads uvarint length-prefixed frames with a size cap.
// It never allocates more than the declared (and capped) length.
type FrameReader struct {
	r   *bufio.Reader
	max int
}

// NewFrameReader wraps r. max must be positive.
func NewFrameReader(r io.Reader, max int) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 4096), max: max}
}

// ReadFrame returns the next frame. io.EOF is returned only on a clean
// end of stream between frames.
func (fr *FrameReader) ReadFrame() ([]byte, error) {
	n, err := fr.readLen()
	if err != nil {
		return nil, err
	}
	if n > uint64(fr.max) {
		return nil, fmt.Errorf("%w: %d > %d bytes", ErrFrameTooLarge, n, fr.max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(fr.r, buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: truncated frame body", ErrBadFrame)
		}
		return nil, err
	}
	return buf, nil
}

func (fr *FrameReader) readLen() (uint64, error) {
	var x uint64
	var s uint
	for i := 0; i < maxPrefix; i++ {
		b, err := fr.r.ReadByte()
		if err != nil {
			if i == 0 && errors.Is(err, io.EOF) {
				return 0, io.EOF
			}
			if errors.Is(err, io.EOF) {
				return 0, fmt.Errorf("%w: truncated length prefix", ErrBadFrame)
			}
			return 0, err
		}
		if b < 0x80 {
			if i > 0 && b == 0 {
				return 0, fmt.Errorf("%w: non-minimal length prefix", ErrBadFrame)
			}
			return x | uint64(b)<<s, nil
		}
		x |= uint64(b&0x7f) << s
		s += 7
	}
	return 0, fmt.Errorf("%w: length prefix too long", ErrBadFrame)
}

// AppendFrame appends the framed form of payload to dst.
func AppendFrame(dst, payload []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(payload)))
	return append(dst, payload...)
}

// WriteFrame writes payload as one frame with a single Write call, after
// checking it against max.
func WriteFrame(w io.Writer, payload []byte, max int) error {
	if len(payload) > max {
		return fmt.Errorf("%w: %d > %d bytes", ErrFrameTooLarge, len(payload), max)
	}
	_, err := w.Write(AppendFrame(make([]byte, 0, len(payload)+binary.MaxVarintLen64), payload))
	return err
}
