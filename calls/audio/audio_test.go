package audio

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestG711RoundTrip(t *testing.T) {
	if linearToULaw(0) != 0xFF || linearToALaw(0) != 0xD5 {
		t.Fatalf("silence: ulaw %#x alaw %#x", linearToULaw(0), linearToALaw(0))
	}
	for s := -32768; s <= 32767; s += 7 {
		for name, rt := range map[string]func(int16) int16{
			"ulaw": func(v int16) int16 { return ulawToLinear(linearToULaw(v)) },
			"alaw": func(v int16) int16 { return alawToLinear(linearToALaw(v)) },
		} {
			got := int(rt(int16(s)))
			err := math.Abs(float64(got - s))
			// G.711 keeps about 4 significant bits: error within ~1/16 of
			// the value, plus a small floor.
			if err > math.Abs(float64(s))/16+40 {
				t.Fatalf("%s(%d) round-trips to %d", name, s, got)
			}
		}
	}
	// Decoding is idempotent on every code.
	for b := 0; b < 256; b++ {
		if linearToULaw(ulawToLinear(byte(b))) != byte(b) && b != 0x7F {
			t.Errorf("ulaw code %#x not stable", b)
		}
		if linearToALaw(alawToLinear(byte(b))) != byte(b) {
			t.Errorf("alaw code %#x not stable", b)
		}
	}
}

func TestGoertzelFindsTheTone(t *testing.T) {
	buf := make([]int16, SampleRate/2)
	NewTone(440, 0.5).ReadFrame(buf)
	if p := Goertzel(buf, 440); p < 0.9 {
		t.Fatalf("440 Hz power %.3f", p)
	}
	if p := Goertzel(buf, 1000); p > 0.01 {
		t.Fatalf("1000 Hz power in a 440 Hz tone %.3f", p)
	}
	// Through μ-law it is still clearly there.
	dec := DecodeULaw(nil, EncodeULaw(nil, buf))
	if p := Goertzel(dec, 440); p < 0.8 {
		t.Fatalf("440 Hz after G.711: %.3f", p)
	}
	if Goertzel(make([]int16, 100), 440) != 0 {
		t.Fatal("silence has no tone")
	}
}

func TestWAVSinkAndSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.wav")
	snk, err := OpenSink("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := OpenSource("tone:1000")
	frame := make([]int16, FrameSamples)
	for i := 0; i < 25; i++ {
		src.ReadFrame(frame)
		if err := snk.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
	}
	// Readable mid-write, before Close.
	data, _ := os.ReadFile(path)
	samples, rate, err := ReadWAV(bytes.NewReader(data))
	if err != nil || rate != SampleRate || len(samples) != 25*FrameSamples {
		t.Fatalf("read back: %v rate %d n %d", err, rate, len(samples))
	}
	if p := Goertzel(samples, 1000); p < 0.9 {
		t.Fatalf("1000 Hz in file: %.3f", p)
	}
	snk.Close()
	ws, err := OpenSource("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]int16, 30*FrameSamples) // loops past the end
	ws.ReadFrame(big)
	if p := Goertzel(big[:4000], 1000); p < 0.9 {
		t.Fatalf("1000 Hz from wav source: %.3f", p)
	}
}

func TestResample(t *testing.T) {
	in := make([]int16, 48000)
	for i := range in {
		in[i] = int16(10000 * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	out := Resample(in, 48000, SampleRate)
	if len(out) != SampleRate {
		t.Fatalf("len %d", len(out))
	}
	if p := Goertzel(out, 440); p < 0.9 {
		t.Fatalf("440 Hz after resampling: %.3f", p)
	}
}

func TestSpecs(t *testing.T) {
	for _, bad := range []string{"tone:", "tone:9000", "file:", "device:", "speaker", "tone:abc"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := OpenSink("tone:440"); err == nil {
		t.Error("a tone sink was accepted")
	}
	if s, err := OpenSource("none"); err != nil || s.Name() != "none" {
		t.Errorf("none: %v", err)
	}
	if _, err := OpenSource("file:/nonexistent/x.wav"); err == nil || !strings.Contains(err.Error(), "audio input") {
		t.Errorf("missing wav: %v", err)
	}
}

func TestMissingDeviceIsAClearError(t *testing.T) {
	_, err := OpenSource("device:no-such-microphone-here")
	if err == nil {
		t.Fatal("a missing device opened")
	}
	if !strings.Contains(err.Error(), "no-such-microphone-here") {
		t.Fatalf("error does not name the device: %v", err)
	}
	t.Log(err)
}

// Devices open through miniaudio by name (here its null device, which
// needs no sound hardware: it discards playback and captures silence at
// the device's pace); "default" may fail on a box without sound, as a
// clear error.
func TestDevices(t *testing.T) {
	if src, err := OpenSource("default"); err != nil {
		t.Logf("default capture: %v", err)
	} else {
		src.Close()
	}
	src, err := OpenSource("device:Discard all samples")
	if err != nil {
		t.Skipf("no null capture device here: %v", err)
	}
	defer src.Close()
	snk, err := OpenSink("device:Discard all samples")
	if err != nil {
		t.Fatalf("null playback device: %v", err)
	}
	defer snk.Close()
	frame := make([]int16, FrameSamples)
	NewTone(440, 0.3).ReadFrame(frame)
	for i := 0; i < 5; i++ {
		if err := snk.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
		if err := src.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasPrefix(src.Name(), "device ") || !strings.HasPrefix(snk.Name(), "device ") {
		t.Fatalf("names %q %q", src.Name(), snk.Name())
	}
}
