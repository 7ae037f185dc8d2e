// Package treetest builds real authority journals for tests in other
// packages (journal/sync, node, the tree service): a single-device
// Genesis, AddLeaf/RemoveLeaf/ChangePolicy/RotateEpoch ops with real
// FROST DKGs (consensus/frostx/dkg), commits really signed by the
// committee of their parent state, and AuthoritySecret_k values sealed
// with internal/seal to each resulting leaf's real X25519 DHKey, so a
// device opens exactly the key epochs it was a leaf of.
//
// # Usage
//
//	f := treetest.New(t, seed)                    // Device(0) founds it
//	es, s := f.Grow(3, 2)                          // 3 devices, 2-of-3
//	c := f.Commit(s, f.Op(s, tree.RemoveLeaf, nil, []tree.LeafID{2}, nil, true))
//	secrets := f.OpenAll(f.Device(1), c.Post.KeyEpoch) // opened with its DH key
//	peer := f.DevicePeer(f.Device(1), []byte(pid), nil, 1)
//
// journal/tree's own tests keep their in-package helpers
// (helpers_test.go): an in-package test cannot import this package, which
// imports tree.
//
// # Invariants
//
//   - Every fixture entry passes journal ingress and every commit is
//     valid at its parent under tree.Reducer — fixture_test.go
//     TestFixtureReduces.
//   - Each key epoch's SealedSecrets open, with seal.Open and the leaf's
//     DH private key, to that epoch's AuthoritySecret, and only for its
//     leaves — TestSealedSecretsOpen.
//
// Not for production: keys derive from the seed.
package treetest
