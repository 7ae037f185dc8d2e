// Package keyfile reads and creates the small secret files of a data
// directory (the host identity, p2p/identity.go; the device seed,
// node/device.go) with one set of rules.
//
// # Invariants
//
//   - Read refuses, with the caller's sentinels, a missing file
//     (Errs.Missing), one group or others can access (Errs.Permissions),
//     one that is not a regular file or is larger than max
//     (Errs.Corrupt); it never reads more than max+1 bytes
//     (keyfile_test.go TestReadRefuses).
//   - WriteNew leaves either no file or the complete file with mode 0600
//     (temp file, fsync, link, directory fsync) and never replaces an
//     existing one: of concurrent creators exactly one wins, the others
//     get an error matching fs.ErrExist (TestWriteNewNoReplace,
//     TestWriteNewRace).
package keyfile
