package control

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Size caps of one line (without its '\n').
const (
	// DefaultMaxRequestBytes caps a request line.
	DefaultMaxRequestBytes = 64 << 10
	// DefaultMaxResponseBytes caps a response line read by the client.
	DefaultMaxResponseBytes = 4 << 20
	// maxMethodLen caps a method name.
	maxMethodLen = 64
	// maxMessageLen caps an error message sent by the server.
	maxMessageLen = 4 << 10
)

// Request is one call: `{"method":"...","params":{...}}`. Params may be
// absent or null (the zero value of the handler's params type).
type Request struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params,omitempty"`
}

// Response is the answer: exactly one of Result and Error is set.
type Response struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  *WireError      `json:"error,omitempty"`
}

// WireError is the error object of a response.
type WireError struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// DecodeRequest parses one request line strictly: a single JSON object
// with only the fields method and params, a valid method name, nothing
// after it but whitespace. Every failure wraps ErrBadRequest.
func DecodeRequest(line []byte) (Request, error) {
	if len(line) > DefaultMaxRequestBytes {
		return Request{}, fmt.Errorf("%w: request exceeds %d bytes", ErrBadRequest, DefaultMaxRequestBytes)
	}
	var req Request
	if err := decodeStrict(line, &req); err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if err := checkMethod(req.Method); err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if isNull(req.Params) {
		req.Params = nil
	}
	return req, nil
}

// EncodeRequest returns the request line (with its '\n').
func EncodeRequest(method string, params any) ([]byte, error) {
	if err := checkMethod(method); err != nil {
		return nil, err
	}
	req := Request{Method: method}
	if params != nil {
		raw, err := marshalPlain(params)
		if err != nil {
			return nil, fmt.Errorf("%w: params: %v", ErrBadRequest, err)
		}
		req.Params = raw
	}
	b, err := marshalPlain(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return append(b, '\n'), nil
}

// marshalPlain is json.Marshal without HTML escaping, so params survive a
// decode/encode round trip byte for byte (json.Marshal would turn "&"
// into "\u0026" inside a RawMessage). The result has no trailing newline.
func marshalPlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// DecodeResponse parses one response line strictly. Failures wrap
// ErrBadResponse.
func DecodeResponse(line []byte) (Response, error) {
	var resp Response
	if err := decodeStrict(line, &resp); err != nil {
		return Response{}, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	if isNull(resp.Result) {
		resp.Result = nil
	}
	if resp.Error != nil && resp.Result != nil {
		return Response{}, fmt.Errorf("%w: both result and error", ErrBadResponse)
	}
	if resp.Error != nil && resp.Error.Code == "" {
		return Response{}, fmt.Errorf("%w: error without code", ErrBadResponse)
	}
	return resp, nil
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// checkMethod accepts 1..64 bytes of [a-z0-9_.-].
func checkMethod(m string) error {
	if m == "" || len(m) > maxMethodLen {
		return fmt.Errorf("%w: %q (want 1..%d bytes)", ErrBadMethodName, truncate(m, maxMethodLen), maxMethodLen)
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Errorf("%w: %q (want [a-z0-9_.-])", ErrBadMethodName, m)
		}
	}
	return nil
}

// readLine reads one '\n'-terminated line of at most max bytes (the '\n'
// and a preceding '\r' are dropped). A line cut by EOF is accepted; EOF
// before any byte is io.EOF; a longer line wraps ErrBadRequest (for
// requests) or tooLong.
func readLine(r io.Reader, max int, tooLong error) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, int64(max)+1), 4096)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > max && !(err == nil && len(line) == max+1) {
			return nil, fmt.Errorf("%w: line exceeds %d bytes", tooLong, max)
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'}), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, nil
		default:
			return nil, err
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
