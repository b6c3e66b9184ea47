package main

import "testing"

func TestStripEscapes(t *testing.T) {
	in := "\x1b[1;1H\x1b[38;5;2m synced\x1b[0m\x1b]8;;https://x\x1b\\link\x1b]8;;\x07 \x1b(Bok"
	if got := string(stripEscapes([]byte(in))); got != " syncedlink ok" {
		t.Fatalf("got %q", got)
	}
}
