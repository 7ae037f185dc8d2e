package flow

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	ds "github.com/ipfs/go-datastore"

	"github.com/aura-p2p/aura-p2p/flow/budget"
	"github.com/aura-p2p/aura-p2p/flow/receipt"
)

// Datastore keys of the guard chain (SPEC §3 "Storage"). Ids are
// lower-case hex; epochs are zero-padded decimal so keys sort by epoch;
// slots are decimal; nonces are 16 hex digits.
//
//	/aura/f/spent/<ctx>/<dst>/<epoch>/<slot>          → u64 charge record (Spent')
//	/aura/f/rcpt/<ctx>/<dst>/<epoch>/<slot>/<nonce>   → canonical sent receipt
//	/aura/f/recv/<ctx>/<src>/<epoch>/<nonce>          → u32 accepted cost
const (
	spentRoot   = "/aura/f/spent"
	rcptRoot    = "/aura/f/rcpt"
	recvRoot    = "/aura/f/recv"
	epochDigits = 20
)

func bkPath(k budget.Key) string {
	return fmt.Sprintf("%s/%s/%0*d/%d", hex.EncodeToString(k.Ctx[:]), hex.EncodeToString(k.Dst[:]),
		epochDigits, k.Epoch, k.Slot)
}

// SpentKey is the charge-record key of bk.
func SpentKey(k budget.Key) ds.Key { return ds.RawKey(spentRoot + "/" + bkPath(k)) }

// ReceiptLogKey is the sent-receipt log key of (bk, nonce).
func ReceiptLogKey(k budget.Key, nonce uint64) ds.Key {
	return ds.RawKey(fmt.Sprintf("%s/%s/%016x", rcptRoot, bkPath(k), nonce))
}

// recvPrefix is the accepted-receipt prefix of one receive window.
func recvPrefix(w receipt.WindowKey) string {
	return fmt.Sprintf("%s/%s/%s/%0*d", recvRoot, hex.EncodeToString(w.Ctx[:]),
		hex.EncodeToString(w.Src[:]), epochDigits, w.Epoch)
}

// RecvKey is the accepted-receipt key of (window, nonce).
func RecvKey(w receipt.WindowKey, nonce uint64) ds.Key {
	return ds.RawKey(fmt.Sprintf("%s/%016x", recvPrefix(w), nonce))
}

// ParseSpentKey parses a charge-record key (for audits and recovery).
func ParseSpentKey(key string) (budget.Key, bool) {
	rest, ok := strings.CutPrefix(key, spentRoot+"/")
	if !ok {
		return budget.Key{}, false
	}
	return parseBK(strings.Split(rest, "/"))
}

// ParseReceiptLogKey parses a sent-receipt log key into (bk, nonce).
func ParseReceiptLogKey(key string) (budget.Key, uint64, bool) {
	rest, ok := strings.CutPrefix(key, rcptRoot+"/")
	if !ok {
		return budget.Key{}, 0, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 5 || len(parts[4]) != 16 {
		return budget.Key{}, 0, false
	}
	k, ok := parseBK(parts[:4])
	n, err := strconv.ParseUint(parts[4], 16, 64)
	return k, n, ok && err == nil
}

func parseBK(p []string) (budget.Key, bool) {
	var k budget.Key
	if len(p) != 4 || !hex16(p[0], k.Ctx[:]) || !hex16(p[1], k.Dst[:]) || len(p[2]) != epochDigits {
		return budget.Key{}, false
	}
	e, err1 := strconv.ParseUint(p[2], 10, 64)
	s, err2 := strconv.ParseUint(p[3], 10, 16)
	if err1 != nil || err2 != nil {
		return budget.Key{}, false
	}
	k.Epoch, k.Slot = e, uint16(s)
	return k, true
}

func hex16(s string, dst []byte) bool {
	if len(s) != 32 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.Decode(dst, []byte(s))
	return err == nil
}

// EncodeSpent is the charge-record value: u64 big-endian.
func EncodeSpent(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// DecodeSpent parses a charge-record value; anything but 8 bytes is
// ErrCorruptRecord.
func DecodeSpent(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, ErrCorruptRecord
	}
	return binary.BigEndian.Uint64(b), nil
}

func encodeCost(c uint32) []byte { return binary.BigEndian.AppendUint32(nil, c) }

// decodeCost parses an accepted-cost value (u32 big-endian).
func decodeCost(b []byte) (uint32, error) {
	if len(b) != 4 {
		return 0, ErrCorruptRecord
	}
	return binary.BigEndian.Uint32(b), nil
}
