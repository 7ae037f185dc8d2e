// Package receipt is the flow receipt (SPEC §6.3) and the pure
// receive-side receipt check (SPEC §6.6, §7.3). No goroutines, no clock
// (now is in Clock), no I/O, no global rand.
//
// # Usage
//
// Sender: flow/guard builds the unsigned Receipt with Nonce(bk, Spent');
// the executor calls Sign with the context member key. Receiver: decode
// the frame, resolve the context, then Verifier.CheckChain (context,
// signature, destination, Prev/PayloadHash/Cost, epoch), the capability
// check (flow/cap), then Admit against the (ctx, src, epoch) Window — or
// Verify for both. An Accepted result's Delta is persisted with the
// handler's first synced batch, then applied (Book.Apply); Delta.Advance
// asks for a FlowEpochAdvance fact.
//
// # Scope
//
// Belongs: encoding, signing, nonce derivation, verdicts. Does not
// belong: storage of seen nonces (/aura/f/recv records), stream resets,
// metrics (the executor counts Outcome.String() as
// aura_flow_receipts_verified_total{outcome} and misbehaviour points for
// Outcome.Misbehaviour()).
//
// # Invariants
//
//   - Canonical is the SPEC §6.3 field order, fixed Size bytes; Decode
//     accepts exactly Size bytes and never panics (receipt.go;
//     TestCanonicalLayout, TestDecodeLength, FuzzDecode).
//   - Sig covers every other field (TestSignVerify).
//   - Nonce = first 8 bytes of H("aura/receipt-nonce/v1", secret, Ctx, Dst,
//     Epoch, DeviceId, slot, Spent'), sensitive to each input (TestNonce).
//   - Each bad receipt gets its own outcome: stale_epoch, replay,
//     wrong_dst, bad_sig, bad_chain (cost, payload, Prev), foreign_ctx,
//     over_limit; only Accepted yields a Delta (verifier.go;
//     TestVerifyOutcomes).
//   - Epochs accepted: current; previous before current start + EpochGrace;
//     next if it starts ≤ now + MaxClockSkew, flagged Advance
//     (TestVerifyOutcomes, TestNextEpochAdvance).
//   - Per (ctx, src, epoch) a nonce is accepted once and accepted cost ≤
//     the granted Limit (TestReplayAndLimitAcrossApply).
//   - Multi-hop: each hop verifies alone; D verifies r₀ rooted in ctx_SD;
//     Prev = H(previous receipt) links the chain (TestMultiHopChain).
package receipt
