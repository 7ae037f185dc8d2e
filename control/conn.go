package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// serveConn answers the one request of conn, then closes it. Closing the
// server closes conn (unblocking any read or write).
func (s *Server) serveConn(ctx context.Context, conn *net.UnixConn) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	start := time.Now()
	method, resp, ok := s.handle(ctx, conn)
	if !ok {
		return
	}
	code := "ok"
	if resp.Error != nil {
		code = string(resp.Error.Code)
	}
	s.cfg.Metrics.Call(method, code, time.Since(start))
	_ = conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	if err := writeResponse(conn, resp); err != nil {
		s.cfg.Logger.Debug("control response not delivered", "method", method, "err", err)
	}
}

// Metrics labels for calls that name no registered method.
const (
	labelInvalid = "invalid"
	labelUnknown = "unknown"
)

// handle reads, decodes and runs the request; method is the metrics
// label (a registered method, labelInvalid or labelUnknown). ok is false when the client
// sent nothing at all (a liveness probe): nothing is answered.
func (s *Server) handle(ctx context.Context, conn *net.UnixConn) (method string, resp Response, ok bool) {
	_ = conn.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
	line, err := readLine(conn, s.cfg.MaxRequestBytes, ErrBadRequest)
	if errors.Is(err, io.EOF) || (err != nil && ctx.Err() != nil) {
		return "", Response{}, false
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w: no complete request line within %s", ErrBadRequest, s.cfg.ReadTimeout)
	}
	if err != nil {
		return labelInvalid, s.errorResponse("", err), true
	}
	req, err := DecodeRequest(line)
	if err != nil {
		return labelInvalid, s.errorResponse("", err), true
	}
	h, known := s.lookup(req.Method)
	if !known {
		err := fmt.Errorf("%w: %q (this daemon does not serve it)", ErrUnknownMethod, req.Method)
		return labelUnknown, s.errorResponse(req.Method, err), true
	}
	return req.Method, s.invoke(ctx, conn, req, h), true
}

func (s *Server) lookup(method string) (handler, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.handlers[method]
	return h, ok
}

// invoke runs h with a ctx cancelled when the client hangs up, the call
// times out or the server closes, and builds the response.
func (s *Server) invoke(ctx context.Context, conn *net.UnixConn, req Request, h handler) Response {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.cfg.CallTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, s.cfg.CallTimeout)
		defer cancel()
	}
	unwatch := watchHangup(conn, cancel)
	result, err := s.run(ctx, req, h)
	unwatch()
	if err != nil {
		return s.errorResponse(req.Method, err)
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return s.errorResponse(req.Method, fmt.Errorf("control: encode result of %s: %w", req.Method, err))
	}
	return Response{Result: raw}
}

// run calls h, turning a panic into an internal error so one bad handler
// cannot take the daemon down.
func (s *Server) run(ctx context.Context, req Request, h handler) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.Error("control handler panicked", "method", req.Method, "panic", fmt.Sprint(p))
			err = fmt.Errorf("%w: handler of %s panicked", ErrInternal, req.Method)
		}
	}()
	return h(ctx, req.Params)
}

// watchHangup cancels when the client closes its side (or sends more).
// The returned stop function ends the watch and waits for it.
func watchHangup(conn *net.UnixConn, cancel context.CancelFunc) (stop func()) {
	_ = conn.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var b [1]byte
		if _, err := conn.Read(b[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel()
		}
	}()
	return func() {
		_ = conn.SetReadDeadline(time.Unix(1, 0))
		<-done
	}
}

// errorResponse maps err to its wire code: package sentinels first, then
// MapError mappings, else internal.
func (s *Server) errorResponse(method string, err error) Response {
	code := codeOf(err)
	if code == CodeInternal && !errors.Is(err, ErrInternal) {
		code = s.mapped(err)
	}
	if code == CodeInternal {
		s.cfg.Logger.Warn("control call failed", "method", method, "err", err)
	}
	return Response{Error: &WireError{Code: code, Message: truncate(err.Error(), maxMessageLen)}}
}

func (s *Server) mapped(err error) Code {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range s.mappings {
		if errors.Is(err, m.target) {
			return m.code
		}
	}
	return CodeInternal
}

func writeResponse(w io.Writer, resp Response) error {
	b, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
