// Package cap is CapGuard's deterministic core (SPEC §6.1): the native
// CapToken/CapBlock, their canonical encoding and decoder, Issue and
// Attenuate (Ed25519), pure verification to a Frontier under a local
// Policy, the Authorizer interface other token formats plug into, the
// per-epoch verification Cache, and CapGrant selection. No goroutines, no
// clock, no I/O, no global rand.
//
// # Usage
//
// Sender: SelectGrant(Native{Policy}, grants, self, ctx, epoch,
// dstMemberKey, policy, genesisDefault) gives the Frontier whose Limit is
// Limit(ctx, dst) and whose caps flow/guard checks. Receiver: the
// TokenHash of a guarded frame names a CapGrant token; Cache.Authorize
// with presenter = the receipt's verified Src and issuer = this
// authority's member key gives the sender's frontier; SelectGrant with
// self's roles swapped gives the Limit this node granted. The owner bumps
// the policy generation on a Policy change; a new flow epoch drops the
// cache by itself.
//
// # Scope
//
// Belongs: token format, chain evaluation, policy narrowing, grant choice.
// Does not belong: reading CapGrant facts (journal), metrics (the flow
// executor counts Cache.Hits/Misses as aura_flow_cap_cache_hits_total),
// revocation facts (not in v1).
//
// # Invariants
//
//   - Decode accepts exactly Canonical's output within MaxBlocks, MaxCaps,
//     MaxCapName, MaxTokenBytes, so H(raw) = Hash(); it never panics
//     (token.go; TestDecodeRoundTrip, TestDecodeRejects, FuzzDecode,
//     TestCanonicalLayout).
//   - Every verification failure wraps flow.ErrAuthorizationDenied and
//     names its cause: bad signature, wrong issuer, widening block, wrong
//     context, presenter ≠ last Subject, epoch outside window, FlowLimit <
//     MinLimit (verify.go; TestVerifyFailures, TestBlockErrorIndex,
//     FuzzVerify).
//   - Blocks only shrink: caps ⊆, limit ≤, window ⊆, same context
//     (narrows; TestVerifyFailures, TestAttenuate).
//   - Frontier = last block minus DenyCaps, limit capped by MaxLimit;
//     policy only narrows and a MaxLimit < MinLimit is refused (TestPolicy).
//   - The cache returns only verifications of the same (ctx, peer,
//     tokenHash), issuer key, flow epoch and policy generation; a newer
//     epoch or another generation drops it, an older epoch bypasses it; it
//     caches no failure and stays bounded (cache.go; TestCache,
//     TestCacheBounded).
//   - Grant choice: largest FlowLimit, tie → smaller H(token), invalid
//     grants inert, else Genesis default with TokenHash zero; a default
//     below MinLimit denies (grant.go; TestSelectGrant,
//     TestDefaultBelowMinLimit).
package cap
