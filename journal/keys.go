package journal

import (
	"encoding/hex"
	"fmt"
	"strings"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/internal/canon"
)

// Datastore keys (SPEC §3 "Storage"); ids are lower-case hex, so key
// order is byte order of the ids.
//
//	/aura/j/<kind>/<ns>/e/<EntryID>            → canonical fact
//	/aura/j/<kind>/<ns>/i/<FactID>/<EntryID>   → empty
//	/aura/j/<kind>/<ns>/d/<due ms>/<EntryID>   → deferred canonical fact
//	/aura/q/<kind>/<ns>/<EntryID>              → quarantined raw bytes
const (
	journalRoot    = "/aura/j"
	quarantineRoot = "/aura/q"
	// dueDigits zero-pads due ms so deferred keys sort by due time.
	dueDigits = 20
)

func nsPrefix(ns Namespace) string { return journalRoot + "/" + ns.String() }

func entryPrefix(ns Namespace) string { return nsPrefix(ns) + "/e" }

func indexPrefix(ns Namespace) string { return nsPrefix(ns) + "/i" }

func deferPrefix(ns Namespace) string { return nsPrefix(ns) + "/d" }

func entryKey(ns Namespace, id EntryID) ds.Key {
	return ds.RawKey(entryPrefix(ns) + "/" + id.String())
}

func indexKey(ns Namespace, fid FactID, id EntryID) ds.Key {
	return ds.RawKey(indexPrefix(ns) + "/" + fid.String() + "/" + id.String())
}

func factIndexPrefix(ns Namespace, fid FactID) string {
	return indexPrefix(ns) + "/" + fid.String()
}

func deferKey(ns Namespace, due uint64, id EntryID) ds.Key {
	return ds.RawKey(fmt.Sprintf("%s/%0*d/%s", deferPrefix(ns), dueDigits, due, id))
}

func quarantineKey(ns Namespace, id EntryID) ds.Key {
	return ds.RawKey(quarantineRoot + "/" + ns.String() + "/" + id.String())
}

// parseHex32 parses a 64-char lower-case hex id.
func parseHex32(s string) ([32]byte, bool) {
	var out [32]byte
	if len(s) != 64 || strings.ToLower(s) != s {
		return out, false
	}
	_, err := hex.Decode(out[:], []byte(s))
	return out, err == nil
}

// lastID parses the EntryID that ends key.
func lastID(key string) (EntryID, bool) {
	i := strings.LastIndexByte(key, '/')
	id, ok := parseHex32(key[i+1:])
	return EntryID(id), ok
}

// parseNSKey parses "/aura/j/<kind>/<hex>/<section>/..." into its
// namespace and section ("e", "i", "d").
func parseNSKey(key string) (Namespace, string, bool) {
	parts := strings.Split(strings.TrimPrefix(key, journalRoot+"/"), "/")
	if len(parts) < 4 || len(parts[0]) != 1 || len(parts[1]) != 32 {
		return Namespace{}, "", false
	}
	ns := Namespace{Kind: Kind(parts[0][0] - '0')}
	if _, err := hex.Decode(ns.ID[:], []byte(parts[1])); err != nil || !ns.Kind.Valid() {
		return Namespace{}, "", false
	}
	return ns, parts[2], true
}

// parseDue parses the due ms of a deferred key.
func parseDue(key string) (uint64, bool) {
	parts := strings.Split(key, "/")
	if len(parts) < 2 {
		return 0, false
	}
	var due uint64
	_, err := fmt.Sscanf(parts[len(parts)-2], "%d", &due)
	return due, err == nil
}

// redactKey replaces the namespace id in a journal or quarantine key by
// "ns-" and 8 hex digits of a tagged hash, so reports (logs, errors)
// carry no raw ContextId or AuthorityId (SPEC §7.2 rule 7) yet stay
// correlatable. Other keys are returned unchanged.
func redactKey(key string) string {
	for _, root := range []string{journalRoot, quarantineRoot} {
		rest, ok := strings.CutPrefix(key, root+"/")
		if !ok {
			continue
		}
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) < 2 || len(parts[1]) != 32 {
			return key
		}
		h := canon.H("aura/log-ns/v1", []byte(parts[0]+"/"+parts[1]))
		parts[1] = "ns-" + hex.EncodeToString(h[:4])
		return root + "/" + strings.Join(parts, "/")
	}
	return key
}
