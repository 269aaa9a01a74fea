package problem

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestCodeOfFindsWrappedErrors(t *testing.T) {
	err := fmt.Errorf("context: %w", Wrap(io.ErrUnexpectedEOF, Malformed, "truncated PNG"))
	if CodeOf(err) != Malformed || MessageOf(err) != "truncated PNG" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("CodeOf=%q MessageOf=%q", CodeOf(err), MessageOf(err))
	}
	if CodeOf(io.EOF) != "" || MessageOf(io.EOF) != "internal error" {
		t.Fatal("a plain error has a code or leaks its text")
	}
}
