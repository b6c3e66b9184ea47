package elementpeer

import (
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	line := []byte("4242 (chrome (gpu) x) S 4200 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 1000 0 0")
	s, ok := parseProcStat(line)
	if !ok || s.ppid != 4200 || s.cpu != 3250*time.Millisecond {
		t.Fatalf("parsed %+v %v", s, ok)
	}
	if _, ok := parseProcStat([]byte("garbage")); ok {
		t.Fatal("parsed garbage")
	}
}
