package devnet

import "errors"

// ErrStepFailed is matched by Run's and RunSteps' error when a step
// failed; the error also wraps the step's own error.
var ErrStepFailed = errors.New("devnet: step failed")
