package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeRequest: DecodeRequest never panics, every failure wraps
// ErrBadRequest, and an accepted request survives EncodeRequest →
// DecodeRequest unchanged (method and compacted params).
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"method":"node.status"}`, `{"method":"node.status","params":null}`,
		`{"method":"authority.show","params":{"authority_id":"00112233445566778899aabbccddeeff"}}`,
		`{"method":"device.join","params":{"code":"aura1..."}}`, `{"method":"x","params":[1,2,{"a":"\u00e9"}]}`,
		`{"method":"A"}`, `{"method":""}`, `{"method":"x","extra":1}`, `{"method":"x"} {}`, `[]`, `null`, ``,
		`{"method":"x","params":`, `{"params":{},"method":"a.b"}`, "{\"method\":\"a\"}\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := DecodeRequest(line)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		if checkMethod(req.Method) != nil {
			t.Fatalf("accepted bad method %q", req.Method)
		}
		var params any
		if req.Params != nil {
			params = req.Params
		}
		enc, err := EncodeRequest(req.Method, params)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := DecodeRequest(bytes.TrimSuffix(enc, []byte("\n")))
		if err != nil {
			t.Fatalf("decode re-encoded %q: %v", enc, err)
		}
		if again.Method != req.Method || !bytes.Equal(compact(t, again.Params), compact(t, req.Params)) {
			t.Fatalf("round trip: %+v then %+v", req, again)
		}
	})
}

// FuzzDecodeResponse: DecodeResponse never panics, failures wrap
// ErrBadResponse, and an accepted response has at most one of result and
// error, with a code when there is an error.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"result":{"peer_id":"12D3"}}`, `{"result":null}`, `{}`,
		`{"error":{"code":"not_member","message":"no"}}`, `{"error":{"code":"","message":"x"}}`,
		`{"result":1,"error":{"code":"internal","message":""}}`, `{"error":null}`, `nope`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		resp, err := DecodeResponse(line)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("error %v does not wrap ErrBadResponse", err)
			}
			return
		}
		if resp.Error != nil && (resp.Result != nil || resp.Error.Code == "") {
			t.Fatalf("accepted %+v", resp)
		}
	})
}

func compact(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	if raw == nil {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("compact %q: %v", raw, err)
	}
	return b.Bytes()
}
