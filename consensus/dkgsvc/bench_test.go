package dkgsvc

import "testing"

// BenchmarkDecodeFrame measures decoding one inbound round-1 frame (3-of-n).
func BenchmarkDecodeFrame(b *testing.B) {
	frame := seedFrames(b)[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartVerify measures verifying a 3-member DKGStart.
func BenchmarkStartVerify(b *testing.B) {
	s := testStart(2)
	s.Sign(deviceKey(2))
	for b.Loop() {
		if err := s.Verify(); err != nil {
			b.Fatal(err)
		}
	}
}
