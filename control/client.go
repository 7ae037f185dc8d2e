package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
)

// Client calls a daemon's control API. Each Call is one connection; a
// Client holds no connection and is safe for concurrent use.
type Client struct {
	path    string
	dataDir string
	// MaxResponseBytes caps a response line. Zero: DefaultMaxResponseBytes.
	MaxResponseBytes int
}

// Dial returns a client of the daemon serving dataDir. It checks that the
// socket exists (ErrNotRunning if not) but does not connect: every Call
// connects anew.
func Dial(dataDir string) (*Client, error) {
	path := SocketPath(dataDir)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notRunning(dataDir, "no socket "+path)
	}
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	if st.Mode().Type() != fs.ModeSocket {
		return nil, fmt.Errorf("%w: %s is not a socket", ErrUnsafeDataDir, path)
	}
	return &Client{path: path, dataDir: dataDir}, nil
}

func notRunning(dataDir, why string) error {
	return fmt.Errorf("%w on %s (%s): start it with 'aura-p2p run --data %s'", ErrNotRunning, dataDir, why, dataDir)
}

// Call sends method with params (nil: none) and decodes the result into
// result (nil: discard; a *json.RawMessage keeps it raw). A refusal is an
// *Error matching its sentinel (ErrNotMember, ErrUnknownMethod, ...) with
// errors.Is; no daemon is ErrNotRunning; ctx bounds the whole call and
// cancelling it makes the daemon cancel the handler.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	line, err := EncodeRequest(method, params)
	if err != nil {
		return err
	}
	if len(line)-1 > DefaultMaxRequestBytes {
		return fmt.Errorf("%w: request of %d bytes exceeds %d", ErrBadRequest, len(line)-1, DefaultMaxRequestBytes)
	}
	resp, err := c.roundTrip(ctx, line)
	if err != nil {
		return err
	}
	if resp.Error != nil {
		return &Error{Method: method, Code: resp.Error.Code, Message: resp.Error.Message}
	}
	if result == nil {
		return nil
	}
	raw := resp.Result
	if raw == nil {
		raw = json.RawMessage("null")
	}
	if err := json.Unmarshal(raw, result); err != nil {
		return fmt.Errorf("%w: result of %s: %v", ErrBadResponse, method, err)
	}
	return nil
}

// roundTrip writes line on a new connection and reads one response.
func (c *Client) roundTrip(ctx context.Context, line []byte) (Response, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.path)
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) {
		return Response{}, notRunning(c.dataDir, err.Error())
	}
	if err != nil {
		return Response{}, fmt.Errorf("control: dial %s: %w", c.path, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// A server that refuses the request early may close before we finish
	// writing: its answer is still worth reading.
	_, werr := conn.Write(line)
	max := c.MaxResponseBytes
	if max <= 0 {
		max = DefaultMaxResponseBytes
	}
	out, rerr := readLine(conn, max, ErrBadResponse)
	switch {
	case rerr == nil:
		return DecodeResponse(out)
	case ctx.Err() != nil:
		return Response{}, fmt.Errorf("control: %w", ctx.Err())
	case werr != nil:
		return Response{}, fmt.Errorf("control: send request: %w", werr)
	default:
		return Response{}, fmt.Errorf("control: read response: %w", rerr)
	}
}
