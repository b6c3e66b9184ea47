package elementpeer

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3 * ms}, 3 * ms},
		{[]time.Duration{5 * ms, 1 * ms, 3 * ms}, 3 * ms},
		{[]time.Duration{4 * ms, 1 * ms, 2 * ms, 3 * ms}, 2500 * time.Microsecond},
	} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestWriteToneWAV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.wav")
	if err := WriteToneWAV(path, 1000, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("bad header % x", b[:44])
	}
	if rate := binary.LittleEndian.Uint32(b[24:]); rate != 48000 {
		t.Fatalf("rate %d", rate)
	}
	n := int(binary.LittleEndian.Uint32(b[40:])) / 2
	if n != 4800 || len(b) != 44+2*n {
		t.Fatalf("%d samples in a %d-byte file", n, len(b))
	}
	// A quarter period of 1 kHz at 48 kHz is 12 samples: the peak.
	if v := int16(binary.LittleEndian.Uint16(b[44+2*12:])); math.Abs(float64(v)-16383) > 2 {
		t.Fatalf("sample 12 = %d, want the sine's peak", v)
	}
}

func TestTailIsBounded(t *testing.T) {
	var tl tail
	for i := range 100 {
		tl.add(strings.Repeat("x", 10) + string(rune('a'+i%26)))
	}
	if len(tl.lines) != tailLines {
		t.Fatalf("%d lines kept, want %d", len(tl.lines), tailLines)
	}
	tl.add(strings.Repeat("y", 5000))
	if tl.size > tailBytes || !strings.HasSuffix(tl.String(), "…") {
		t.Fatalf("size %d, last line not cut", tl.size)
	}
}

func TestRedactHidesTheToken(t *testing.T) {
	p := &Peer{token: "syt_secret"}
	if got := p.redact("GET /sync?access_token=syt_secret"); strings.Contains(got, "syt_secret") {
		t.Fatalf("token left in %q", got)
	}
}

func TestRedactHidesThePassword(t *testing.T) {
	p := &Peer{token: "syt_secret", password: "correct-horse"}
	got := p.redact(`{"password":"correct-horse","token":"syt_secret"}`)
	if strings.Contains(got, "correct-horse") || strings.Contains(got, "syt_secret") {
		t.Fatalf("secret left in %q", got)
	}
	if (&Peer{}).redact("nothing to hide") != "nothing to hide" {
		t.Fatal("redact without secrets changed the text")
	}
}
