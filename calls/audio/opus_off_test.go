//go:build !opus

package audio

import (
	"errors"
	"testing"
)

// TestNoOpusSaysWhy: without the tag opus the codec cannot be made, and
// the error tells the user how to get it.
func TestNoOpusSaysWhy(t *testing.T) {
	if OpusAvailable {
		t.Fatal("OpusAvailable in a build without the tag opus")
	}
	if _, err := NewOpusEncoder(); !errors.Is(err, ErrNoOpus) {
		t.Errorf("NewOpusEncoder: %v, want ErrNoOpus", err)
	}
	if _, err := NewOpusDecoder(); !errors.Is(err, ErrNoOpus) {
		t.Errorf("NewOpusDecoder: %v, want ErrNoOpus", err)
	}
}
