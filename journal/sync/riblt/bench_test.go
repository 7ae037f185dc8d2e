package riblt

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// Protocol constants of the model (SPEC §9, §10).
const (
	modelWindow      = 256  // SyncSymbolWindow W
	modelSymsPerFrm  = 1024 // symbols per Symbols frame
	modelIdsPerFrame = 2048 // ids per Ids frame
	modelMaxSymbols  = 65536
)

func uvarintLen(x uint64) int { return len(binary.AppendUvarint(nil, x)) }

// protoBytes is one length-delimited protobuf field: tag, length, body.
func protoBytes(n int) int { return 1 + uvarintLen(uint64(n)) + n }

// protoUint is one varint protobuf field (0 omitted).
func protoUint(x uint64) int {
	if x == 0 {
		return 0
	}
	return 1 + uvarintLen(x)
}

// framed is the uvarint-framed size of a payload of n bytes.
func framed(n int) int { return uvarintLen(uint64(n)) + n }

// runResult is one modelled reconciliation.
type runResult struct {
	needed   uint64 // symbols needed to decode
	sent     uint64 // symbols the responder sent (overshoot included)
	rtts     int    // round trips until the difference is known
	bytes    int    // Symbols + More + Done frames, framed
	fellBack bool
}

// modelRIBLT runs the §9 credit protocol between an encoder of ts.remote
// and a decoder of ts.local in a latency-bound model: in each round trip
// the responder sends every symbol the credit granted so far allows (the
// first round rides with HelloAck, credit W); the initiator consumes them
// one at a time and grants Credit := received + W whenever received ≥
// Credit − W/2.
func modelRIBLT(t testing.TB, ts testSets) runResult {
	enc := NewEncoder(ts.key, ts.remote)
	dec := NewDecoder(ts.key, ts.local, uint64(len(ts.remote)))
	cap := min(uint64(modelMaxSymbols), (uint64(len(ts.remote))+1)/2+64)
	var res runResult
	credit := uint64(modelWindow)
	for res.rtts = 1; ; res.rtts++ {
		batch := min(credit, cap) - enc.Produced()
		res.bytes += symbolFramesBytes(enc, dec, batch, t)
		res.sent = enc.Produced()
		if dec.Decoded() {
			res.needed = dec.DecodedAt()
			res.bytes += framed(protoUint(res.needed))
			return res
		}
		if dec.Received() >= cap {
			res.fellBack = true
			return res
		}
		if credit-modelWindow/2 <= dec.Received() {
			credit = dec.Received() + modelWindow
			res.bytes += framed(protoUint(credit))
		}
	}
}

// symbolFramesBytes sends n symbols in frames of ≤ 1024, feeds them to
// the decoder (which stops absorbing once decoded) and returns the framed
// bytes.
func symbolFramesBytes(enc *Encoder, dec *Decoder, n uint64, t testing.TB) int {
	total := 0
	for n > 0 {
		k := min(n, modelSymsPerFrm)
		first := enc.Produced()
		buf := make([]byte, 0, k*SymbolMaxLen)
		for range k {
			s := enc.Next()
			buf = AppendSymbol(buf, s)
			if !dec.Decoded() {
				if err := dec.AddSymbol(s); err != nil {
					t.Fatalf("AddSymbol: %v", err)
				}
			}
		}
		total += framed(protoUint(first) + protoBytes(len(buf)))
		n -= k
	}
	return total
}

// idsBytes is the framed size of sending n ids, ≤ 2048 per Ids frame,
// plus the one-byte-payload request frame.
func idsBytes(n int) int {
	total := framed(0)
	for n > 0 {
		k := min(n, modelIdsPerFrame)
		total += framed(protoBytes(32 * k))
		n -= k
	}
	return total
}

type tableRow struct {
	n, d, seeds               int
	needed, sent, bytes, rtts float64
	maxRTT                    int
	idBytes                   int
}

func measureRow(t testing.TB, n, d, seeds int) tableRow {
	row := tableRow{n: n, d: d, seeds: seeds, idBytes: idsBytes(n)}
	for seed := range seeds {
		ts := makeSets(uint64(1000+seed), n, d)
		r := modelRIBLT(t, ts)
		if r.fellBack {
			t.Fatalf("|E|=%d d=%d seed=%d fell back", n, d, seed)
		}
		row.needed += float64(r.needed)
		row.sent += float64(r.sent)
		row.bytes += float64(r.bytes)
		row.rtts += float64(r.rtts)
		row.maxRTT = max(row.maxRTT, r.rtts)
	}
	s := float64(seeds)
	row.needed, row.sent, row.bytes, row.rtts = row.needed/s, row.sent/s, row.bytes/s, row.rtts/s
	return row
}

func formatTable(rows []tableRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| |E| | d | seeds | symbols needed (×d) | symbols sent | RIBLT bytes | RIBLT RTTs (max) | all-ids bytes | all-ids RTTs | bytes ratio |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %d | %d | %d | %.1f (%.2f) | %.1f | %.0f | %.2f (%d) | %d | 1 | %.4f |\n",
			r.n, r.d, r.seeds, r.needed, r.needed/float64(r.d), r.sent, r.bytes, r.rtts, r.maxRTT,
			r.idBytes, r.bytes/float64(r.idBytes))
	}
	return b.String()
}

// checkOneRTT: while d fits the first credit window (1.7·d ≤ W in SPEC §9,
// here d ≤ 100), every run learns the difference in one round trip.
func checkOneRTT(t *testing.T, r tableRow) {
	if r.d <= 100 && r.maxRTT != 1 {
		t.Errorf("|E|=%d d=%d: needed %d round trips, want 1", r.n, r.d, r.maxRTT)
	}
}

// TestOneRoundTripWithinWindow is the always-on sample of the table:
// |E| = 10^4, d ≤ 100 is learned in one round trip and RIBLT moves fewer
// bytes than the id exchange.
func TestOneRoundTripWithinWindow(t *testing.T) {
	var rows []tableRow
	for _, d := range []int{1, 10, 50, 100} {
		seeds := 3
		if raceEnabled {
			seeds = 1
		}
		r := measureRow(t, 10_000, d, seeds)
		checkOneRTT(t, r)
		if r.bytes >= float64(r.idBytes) {
			t.Errorf("d=%d: RIBLT %0.f bytes ≥ ids %d", d, r.bytes, r.idBytes)
		}
		rows = append(rows, r)
	}
	t.Logf("\n%s", formatTable(rows))
}

// TestBenchmarkTable prints the BENCHMARKS.md table: |E| ∈ {10^4, 10^5},
// d ∈ {1, 10, 50, 100, 1000}, RIBLT against exchanging all ids, measured
// in the same run. Long: AURA_LONG=1.
func TestBenchmarkTable(t *testing.T) {
	if !longRun() {
		t.Skip("long run: set AURA_LONG=1 (TestOneRoundTripWithinWindow is the always-on sample)")
	}
	var rows []tableRow
	for _, n := range []int{10_000, 100_000} {
		for _, d := range []int{1, 10, 50, 100, 1000} {
			r := measureRow(t, n, d, 10)
			checkOneRTT(t, r)
			rows = append(rows, r)
		}
	}
	t.Logf("\n%s", formatTable(rows))
}

func benchSizes() []struct{ n, d int } {
	var out []struct{ n, d int }
	for _, n := range []int{10_000, 100_000} {
		for _, d := range []int{1, 10, 50, 100, 1000} {
			out = append(out, struct{ n, d int }{n, d})
		}
	}
	return out
}

// BenchmarkReconcile measures one full modelled reconciliation (both
// encoders, decoding, framing) and reports symbols, bytes and round trips
// beside the all-ids exchange of the same set.
func BenchmarkReconcile(b *testing.B) {
	for _, sz := range benchSizes() {
		b.Run(fmt.Sprintf("E=%d/d=%d", sz.n, sz.d), func(b *testing.B) {
			ts := makeSets(42, sz.n, sz.d)
			var r runResult
			for b.Loop() {
				r = modelRIBLT(b, ts)
			}
			b.ReportMetric(float64(r.needed), "symbols")
			b.ReportMetric(float64(r.bytes), "wire-B")
			b.ReportMetric(float64(r.rtts), "rtts")
			b.ReportMetric(float64(idsBytes(sz.n)), "ids-wire-B")
		})
	}
}

// BenchmarkEncoder measures producing 2·1000 symbols of a set.
func BenchmarkEncoder(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("E=%d", n), func(b *testing.B) {
			ts := makeSets(1, n, 0)
			for b.Loop() {
				enc := NewEncoder(ts.key, ts.remote)
				for range 2000 {
					enc.Next()
				}
			}
		})
	}
}

// BenchmarkChk measures chk(x) on a 32-byte element.
func BenchmarkChk(b *testing.B) {
	k := paperKey()
	var x [32]byte
	var sink uint64
	for b.Loop() {
		sink ^= k.Chk(&x)
		x[0]++
	}
	_ = sink
}
