package budget

import "errors"

var (
	// ErrLimitTooLow: a DefaultLimit, FlowLimit or local MaxLimit below
	// MinLimit (SPEC §6.2): the Genesis is rejected, the grant inert, the
	// Config refused.
	ErrLimitTooLow = errors.New("budget: limit below MinLimit")
	// ErrFrameTooLarge: a size-priced frame over MaxSizePricedBytes
	// (65 KiB); it could cost more than MaxFrameCost.
	ErrFrameTooLarge = errors.New("budget: size-priced frame over 65 KiB")
	// ErrCostTooHigh: a computed cost exceeds MaxFrameCost (e.g. a credit
	// grant of too many symbols).
	ErrCostTooHigh = errors.New("budget: cost over MaxFrameCost")
	// ErrUnknownMessage: Cost was asked for a Msg outside the §6.2 table.
	ErrUnknownMessage = errors.New("budget: unknown message kind")
	// ErrBadSlotTable: the device list cannot form a slot table (empty,
	// more than MaxDevices, duplicate leaves, or self not among them).
	ErrBadSlotTable = errors.New("budget: bad slot table")
)
