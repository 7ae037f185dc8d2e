package node

import (
	"context"
	"fmt"

	"github.com/aura-p2p/aura-p2p/flow"
	"github.com/aura-p2p/aura-p2p/flow/jstate"
	"github.com/aura-p2p/aura-p2p/journal"
	"github.com/aura-p2p/aura-p2p/p2p"
)

// openJournal opens the node's one journal over its datastore and the
// journal-backed guard state; with a Keyring the node joins its own
// authority namespace.
func (n *Node) openJournal() error {
	j, err := journal.Open(context.Background(), n.store,
		journal.Config{Logger: n.log.With("component", "journal"), Metrics: n.cfg.JournalMetrics})
	if err != nil {
		return fmt.Errorf("node: open journal: %w", err)
	}
	if kr := n.cfg.Keyring; kr != nil {
		j.Join(kr.NS())
	}
	for _, sc := range n.cfg.StaticContexts {
		j.Join(journal.ContextNS(sc.ID))
	}
	st, err := jstate.New(j, n.cfg.Keyring, n.cfg.StateMetrics)
	if err != nil {
		return fmt.Errorf("node: flow state: %w", err)
	}
	n.jrnl, n.state = j, st
	return nil
}

// buildSender builds the node's one guarded Sender over the host's
// Transport (SPEC §6.4): the only place the Transport and the datastore
// meet. Caller holds mu.
func (n *Node) buildSender(h *p2p.Host) error {
	fc := n.cfg.Flow
	if fc.Logger == nil {
		fc.Logger = n.log.With("component", "flow")
	}
	snd, err := flow.New(h, n.store, n.state, fc)
	if err != nil {
		return fmt.Errorf("node: flow sender: %w", err)
	}
	n.sender = snd
	if n.cfg.Keyring == nil {
		return nil
	}
	cs, err := jstate.NewChargeSigner(n.jrnl, snd.Executor(), n.cfg.Keyring, n.cfg.SyncInterval, n.cfg.StateMetrics)
	if err != nil {
		return fmt.Errorf("node: charge signer: %w", err)
	}
	n.charges = cs
	return nil
}

// Journal is the node's journal; valid until Close.
func (n *Node) Journal() *journal.Journal { return n.jrnl }

// Sender is the node's guarded sender, nil before Start and after Close.
func (n *Node) Sender() *flow.Sender {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sender
}
