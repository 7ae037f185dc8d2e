package flowerr

import (
	"errors"
	"fmt"
	"testing"
)

func TestBudgetErrorUnwraps(t *testing.T) {
	var err error = fmt.Errorf("send: %w", &BudgetError{Need: 5, Have: 2})
	var be *BudgetError
	if !errors.Is(err, ErrInsufficientBudget) || !errors.As(err, &be) || be.Need != 5 || be.Have != 2 {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, ErrAuthorizationDenied) || errors.Is(err, ErrJournalCommitFailed) {
		t.Fatal("BudgetError matches another sentinel")
	}
	if be.Error() != "flow: insufficient budget: need 5, have 2" {
		t.Fatalf("text %q", be.Error())
	}
}

func TestSentinelsDistinct(t *testing.T) {
	s := []error{ErrAuthorizationDenied, ErrInsufficientBudget, ErrJournalCommitFailed}
	for i := range s {
		for j := range s {
			if (i == j) != errors.Is(s[i], s[j]) {
				t.Fatalf("sentinel %d vs %d", i, j)
			}
		}
	}
}
