package journal

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	ds "github.com/ipfs/go-datastore"
	pebbleds "github.com/ipfs/go-ds-pebble"
)

// Datastore is the node's one datastore (SPEC §3 "Storage"): batching is
// required because every multi-key write is one atomic batch.
type Datastore interface {
	ds.Batching
}

// OpenPebble opens (creating if needed) the node's go-ds-pebble datastore
// at dir with synced writes, exactly as SPEC §3 requires: every Put and
// every Batch.Commit is fsynced to the WAL before it returns. The default
// pebble.NoSync would lose acknowledged writes on power loss.
func OpenPebble(dir string) (*pebbleds.Datastore, error) {
	d, err := pebbleds.NewDatastore(dir, pebbleds.WithPebbleWriteOptions(pebble.Sync))
	if err != nil {
		return nil, fmt.Errorf("journal: open datastore %s: %w", dir, err)
	}
	return d, nil
}
