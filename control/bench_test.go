package control

import (
	"testing"
)

// BenchmarkCall is one client round trip (dial, request, echo handler,
// response) over the unix socket.
func BenchmarkCall(b *testing.B) {
	dir := b.TempDir()
	srv, err := NewServer(Config{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if err := Register(srv, "echo", echo); err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := Dial(dir)
	if err != nil {
		b.Fatal(err)
	}
	var got echoResult
	for b.Loop() {
		if err := c.Call(b.Context(), "echo", echoParams{Text: "ping", N: 1}, &got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRequest decodes a typical request line.
func BenchmarkDecodeRequest(b *testing.B) {
	line := []byte(`{"method":"authority.show","params":{"authority_id":"00112233445566778899aabbccddeeff"}}`)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := DecodeRequest(line); err != nil {
			b.Fatal(err)
		}
	}
}
