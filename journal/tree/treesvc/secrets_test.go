package treesvc

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"testing/cryptotest"
	"testing/synctest"
	"time"

	"github.com/aura-p2p/aura-p2p/journal"
)

// TestExportReplacedSecret: when the AuthoritySecret of a key epoch is
// replaced (the chain walk switched to another op carrying the same key
// epoch, or a joiner's inviter reply is superseded by the applied op's
// entry) without the number of secrets changing, the Syncer is handed the
// new list — sync keys follow the applied key, not the first one seen.
func TestExportReplacedSecret(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 1)
		c := newCluster(t, 1, 10*time.Millisecond, 1)
		defer c.close()
		d := c.devs[0]
		aid, err := d.svc.Create(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		a, err := d.svc.get(aid)
		if err != nil {
			t.Fatal(err)
		}
		ns := journal.AuthorityNS(aid)
		other := bytes.Repeat([]byte{7}, 32)
		d.svc.mu.Lock()
		a.secrets[0] = other
		d.svc.mu.Unlock()
		a.refreshMu.Lock()
		err = d.svc.exportSecrets(context.Background(), a)
		a.refreshMu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if got := d.syncer.exported(ns); !slices.EqualFunc(got, [][]byte{other}, bytes.Equal) {
			t.Fatalf("Syncer still holds the replaced secret (%d secrets)", len(got))
		}
	})
}
