package sync

import (
	"fmt"

	"github.com/aura-p2p/aura-p2p/journal/sync/riblt"
	"github.com/aura-p2p/aura-p2p/protocols"
	"github.com/aura-p2p/aura-p2p/protocols/syncpb"
)

// EncodeFrame maps f to its syncpb.SyncFrame and marshals it, checked
// against protocols.MaxSyncFrame.
func EncodeFrame(f Frame) ([]byte, error) {
	m, err := toPB(f)
	if err != nil {
		return nil, err
	}
	return protocols.Marshal(m, protocols.MaxSyncFrame)
}

// DecodeFrame unmarshals one received frame and maps it to a Frame,
// checking every fixed-size field and per-frame count. Any failure wraps
// ErrBadFrame (and the underlying sentinel); the caller resets the
// stream.
func DecodeFrame(b []byte) (Frame, error) {
	if len(b) > protocols.MaxSyncFrame {
		return nil, fmt.Errorf("%w: %w: %d bytes", ErrBadFrame, ErrFrameLimit, len(b))
	}
	var m syncpb.SyncFrame
	if err := protocols.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	f, err := fromPB(&m)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	return f, nil
}

func toPB(f Frame) (*syncpb.SyncFrame, error) {
	switch f := f.(type) {
	case Hello:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_Hello{Hello: &syncpb.Hello{NonceI: f.NonceI[:], Ref: f.Ref[:], BoxI: f.Box}}}, nil
	case HelloAck:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_HelloAck{HelloAck: &syncpb.HelloAck{Ack: f.Ack[:], BoxR: f.Box}}}, nil
	case Symbols:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_Symbols{Symbols: &syncpb.Symbols{First: f.First, Syms: riblt.AppendSymbols(nil, f.Syms), Receipt: f.Receipt}}}, nil
	case More:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_More{More: &syncpb.More{Credit: f.Credit, Receipt: f.Receipt}}}, nil
	case Done:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_Done{Done: &syncpb.Done{Received: f.Received, Receipt: f.Receipt}}}, nil
	case Full:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_Full{Full: &syncpb.Full{Receipt: f.Receipt}}}, nil
	case Ids:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_Ids{Ids: &syncpb.Ids{Ids: AppendPackedIDs(nil, f.IDs), Receipt: f.Receipt}}}, nil
	case Want:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_Want{Want: &syncpb.Want{Ids: AppendPackedIDs(nil, f.IDs), Receipt: f.Receipt}}}, nil
	case Facts:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_Facts{Facts: &syncpb.Facts{Entries: f.Entries, Receipt: f.Receipt}}}, nil
	case End:
		return &syncpb.SyncFrame{Body: &syncpb.SyncFrame_End{End: &syncpb.End{Receipt: f.Receipt}}}, nil
	}
	return nil, fmt.Errorf("%w: cannot encode %T", ErrBadFrame, f)
}

func fromPB(m *syncpb.SyncFrame) (Frame, error) {
	switch b := m.Body.(type) {
	case *syncpb.SyncFrame_Hello:
		return helloFromPB(b.Hello)
	case *syncpb.SyncFrame_HelloAck:
		return helloAckFromPB(b.HelloAck)
	case *syncpb.SyncFrame_Symbols:
		return symbolsFromPB(b.Symbols)
	case *syncpb.SyncFrame_More:
		return More{Credit: b.More.GetCredit(), Receipt: b.More.GetReceipt()}, nil
	case *syncpb.SyncFrame_Done:
		return Done{Received: b.Done.GetReceived(), Receipt: b.Done.GetReceipt()}, nil
	case *syncpb.SyncFrame_Full:
		return Full{Receipt: b.Full.GetReceipt()}, nil
	case *syncpb.SyncFrame_Ids:
		ids, err := DecodePackedIDs(b.Ids.GetIds(), IdsPerFrame)
		return Ids{IDs: ids, Receipt: b.Ids.GetReceipt()}, err
	case *syncpb.SyncFrame_Want:
		ids, err := DecodePackedIDs(b.Want.GetIds(), WantPerFrame)
		return Want{IDs: ids, Receipt: b.Want.GetReceipt()}, err
	case *syncpb.SyncFrame_Facts:
		return factsFromPB(b.Facts)
	case *syncpb.SyncFrame_End:
		return End{Receipt: b.End.GetReceipt()}, nil
	}
	return nil, fmt.Errorf("%w: empty frame", ErrUnexpectedFrame)
}

func fixed16(b []byte, what string) ([16]byte, error) {
	if len(b) != 16 {
		return [16]byte{}, fmt.Errorf("%w: %s of %d bytes", ErrFrameLimit, what, len(b))
	}
	return [16]byte(b), nil
}

func helloFromPB(h *syncpb.Hello) (Frame, error) {
	nonce, err := fixed16(h.GetNonceI(), "NonceI")
	if err != nil {
		return nil, err
	}
	ref, err := fixed16(h.GetRef(), "Ref")
	if err != nil {
		return nil, err
	}
	if n := len(h.GetBoxI()); n != BoxSize && n != BoxSizeFullToken {
		return nil, fmt.Errorf("%w: Box_I of %d bytes", ErrFrameLimit, n)
	}
	return Hello{NonceI: nonce, Ref: ref, Box: h.GetBoxI()}, nil
}

func helloAckFromPB(a *syncpb.HelloAck) (Frame, error) {
	ack, err := fixed16(a.GetAck(), "Ack")
	if err != nil {
		return nil, err
	}
	if n := len(a.GetBoxR()); n != BoxSize {
		return nil, fmt.Errorf("%w: Box_R of %d bytes", ErrFrameLimit, n)
	}
	return HelloAck{Ack: ack, Box: a.GetBoxR()}, nil
}

func symbolsFromPB(s *syncpb.Symbols) (Frame, error) {
	syms, err := riblt.DecodeSymbols(s.GetSyms(), SymbolsPerFrame)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFrameLimit, err)
	}
	return Symbols{First: s.GetFirst(), Syms: syms, Receipt: s.GetReceipt()}, nil
}

func factsFromPB(f *syncpb.Facts) (Frame, error) {
	out := Facts{Entries: f.GetEntries(), Receipt: f.GetReceipt()}
	if err := checkFacts(out); err != nil {
		return nil, err
	}
	if out.Entries == nil {
		out.Entries = [][]byte{}
	}
	return out, nil
}

// frameItems is the number of symbols, ids or entries f carries (logs).
func frameItems(f Frame) int {
	switch f := f.(type) {
	case Want:
		return len(f.IDs)
	case Ids:
		return len(f.IDs)
	case Facts:
		return len(f.Entries)
	case Symbols:
		return len(f.Syms)
	}
	return 0
}
