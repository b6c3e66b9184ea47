// Package audio provides the sound sources and sinks of calls: capture and
// playback devices through malgo (miniaudio), a sine tone, WAV files and
// silence, all as 8 kHz mono 16-bit frames of 20 ms, with the G.711 codecs
// and a Goertzel tone detector.
package audio

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SampleRate is the rate of every frame in this package.
const SampleRate = 8000

// FrameSamples is the number of samples in one 20 ms frame.
const FrameSamples = SampleRate / 50

// Source produces audio: ReadFrame fills buf (FrameSamples long) with the
// next 20 ms without blocking for long; a source with nothing ready fills
// silence. The caller paces the reads.
type Source interface {
	ReadFrame(buf []int16) error
	Close() error
	// Name says what the source is, for the call panel and logs.
	Name() string
}

// Sink consumes audio: WriteFrame takes the next 20 ms (or any length).
type Sink interface {
	WriteFrame(buf []int16) error
	Close() error
	Name() string
}

// Spec is a parsed source or sink setting: "default", "device:NAME",
// "tone:HZ", "file:PATH.wav" or "none".
type Spec struct {
	Kind string // default, device, tone, file, none
	Arg  string // device name, path
	Hz   float64
}

// ParseSpec parses a config value for audio.input or audio.output.
func ParseSpec(s string) (Spec, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case "", "default":
		return Spec{Kind: "default"}, nil
	case "none":
		return Spec{Kind: "none"}, nil
	case "device":
		if arg == "" {
			return Spec{}, errors.New(`"device:" needs a device name`)
		}
		return Spec{Kind: "device", Arg: arg}, nil
	case "tone":
		hz, err := strconv.ParseFloat(arg, 64)
		if err != nil || hz <= 0 || hz >= SampleRate/2 {
			return Spec{}, fmt.Errorf("%q: tone needs a frequency between 0 and %d Hz", s, SampleRate/2)
		}
		return Spec{Kind: "tone", Hz: hz}, nil
	case "file":
		if arg == "" {
			return Spec{}, errors.New(`"file:" needs a path to a .wav file`)
		}
		return Spec{Kind: "file", Arg: arg}, nil
	}
	return Spec{}, fmt.Errorf("%q: want default, device:NAME, tone:HZ, file:PATH.wav or none", s)
}

// OpenSource opens the capture source a config value names. A failure
// (no such device, no audio system) is an error whose text can be shown
// as it is; the caller carries on with Silence.
func OpenSource(setting string) (Source, error) {
	sp, err := ParseSpec(setting)
	if err != nil {
		return nil, fmt.Errorf("audio input: %w", err)
	}
	switch sp.Kind {
	case "none":
		return Silence{}, nil
	case "tone":
		return NewTone(sp.Hz, 0.5), nil
	case "file":
		src, err := OpenWAVSource(sp.Arg)
		if err != nil {
			return nil, fmt.Errorf("audio input: %w", err)
		}
		return src, nil
	default:
		src, err := openCapture(sp.Arg)
		if err != nil {
			return nil, fmt.Errorf("audio input %q: %w", setting, err)
		}
		return src, nil
	}
}

// OpenSink opens the playback sink a config value names; errors as OpenSource.
func OpenSink(setting string) (Sink, error) {
	sp, err := ParseSpec(setting)
	if err != nil {
		return nil, fmt.Errorf("audio output: %w", err)
	}
	switch sp.Kind {
	case "none":
		return Discard{}, nil
	case "tone":
		return nil, errors.New("audio output: a tone is a source, not a sink")
	case "file":
		snk, err := CreateWAVSink(sp.Arg)
		if err != nil {
			return nil, fmt.Errorf("audio output: %w", err)
		}
		return snk, nil
	default:
		snk, err := openPlayback(sp.Arg)
		if err != nil {
			return nil, fmt.Errorf("audio output %q: %w", setting, err)
		}
		return snk, nil
	}
}

// Silence is a source of zeros.
type Silence struct{}

// ReadFrame fills buf with silence.
func (Silence) ReadFrame(buf []int16) error { clear(buf); return nil }

// Close does nothing.
func (Silence) Close() error { return nil }

// Name says "none".
func (Silence) Name() string { return "none" }

// Discard is a sink that drops everything.
type Discard struct{}

// WriteFrame drops buf.
func (Discard) WriteFrame([]int16) error { return nil }

// Close does nothing.
func (Discard) Close() error { return nil }

// Name says "none".
func (Discard) Name() string { return "none" }
