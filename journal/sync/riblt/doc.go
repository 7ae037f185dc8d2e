// Package riblt is the rateless invertible Bloom lookup table of SPEC §9
// (Yang, Gilad, Alizadeh, "Practical Rateless Set Reconciliation",
// SIGCOMM 2024) over 32-byte elements (journal EntryIDs), with the
// SipHash-2-4 checksum it keys. It is pure: no I/O, no clock, no
// randomness, no goroutines, and it imports nothing from this module.
//
// # Usage
//
//	k := riblt.KeyFromBytes(sessionK)         // k₀, k₁ little-endian
//	enc := riblt.NewEncoder(k, remoteSet)      // responder
//	dec := riblt.NewDecoder(k, localSet, uint64(len(remoteSet)))
//	dec.SetCredit(256)
//	for !dec.Decoded() {
//		if err := dec.AddSymbol(enc.Next()); err != nil { … } // bad_symbols
//	}
//	dec.RemoteOnly(), dec.LocalOnly()          // the symmetric difference
//
// Wire form of a symbol: Sum ‖ Chk (u64 BE) ‖ zigzag-uvarint Count
// (AppendSymbol, DecodeSymbol; packed lists AppendSymbols, DecodeSymbols).
//
// # Invariants
//
//   - chk is SipHash-2-4: the paper's vector (key 00…0f, message 00…0e ⇒
//     a129ca6149be45e5) — siphash_test.go TestSipHashPaperVector; equal to
//     github.com/dchest/siphash for lengths 0–64 — TestSipHashMatchesDchest.
//   - The index mapping is the §9 float64 recurrence with explicit
//     conversions; both §9 vectors — mapping_test.go TestMappingVectors;
//     indices strictly increase and stop below 2^32 —
//     TestMappingStrictlyIncreasingAndBounded.
//   - The heap Encoder equals direct summation over each element's
//     mapping, and Symbol0 equals C[0] — decoder_test.go
//     TestEncoderMatchesNaive.
//   - Decoding yields exactly the symmetric difference, split by side,
//     and stays decoded as later symbols arrive — TestDecodeExactDifference,
//     TestDecodeStaysDecoded.
//   - bad_symbols: index gap, beyond credit, Count outside [0, SetSize],
//     an initiator-only element not in the local set (and a twice
//     recovered element) are errors wrapping ErrBadSymbols — TestBadSymbols.
//   - Acceptance §16.34: over 100 fixed seeds with |E| = 10^4 the mean
//     symbol count is ≤ 1.55·d at d = 50 and ≤ 1.45·d at d = 1000 —
//     acceptance_test.go TestAcceptanceSymbolOverhead, with
//     TestDiffOnlyEquivalence licensing its difference-only fast path.
//   - A difference that fits the first credit window (d ≤ 100) is learned
//     in one round trip — bench_test.go TestOneRoundTripWithinWindow
//     (TestBenchmarkTable under AURA_LONG=1).
//   - Symbol decoding never panics, allocates at most one symbol per 41
//     input bytes, and round-trips — symbol_test.go FuzzDecodeSymbols,
//     TestDecodeSymbolRejects.
package riblt
