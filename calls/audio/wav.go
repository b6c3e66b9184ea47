package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// WAVSource plays a 16-bit PCM WAV file (any rate, mono or stereo, mixed
// down and resampled to 8 kHz), looping at its end.
type WAVSource struct {
	path    string
	samples []int16
	pos     int
}

// OpenWAVSource reads a whole WAV file.
func OpenWAVSource(path string) (*WAVSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open wav: %w", err)
	}
	defer f.Close()
	samples, rate, err := ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	samples = Resample(samples, rate, SampleRate)
	if len(samples) == 0 {
		return nil, fmt.Errorf("read %s: no samples", path)
	}
	return &WAVSource{path: path, samples: samples}, nil
}

// ReadFrame fills buf with the next samples, looping.
func (w *WAVSource) ReadFrame(buf []int16) error {
	for i := range buf {
		buf[i] = w.samples[w.pos]
		w.pos = (w.pos + 1) % len(w.samples)
	}
	return nil
}

// Close does nothing: the file was read at open.
func (w *WAVSource) Close() error { return nil }

// Name names the file.
func (w *WAVSource) Name() string { return "file " + w.path }

// ReadWAV reads a RIFF/WAVE file of 16-bit PCM and returns its samples,
// mixed down to mono, with their rate.
func ReadWAV(r io.Reader) ([]int16, int, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, fmt.Errorf("wav header: %w", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a RIFF/WAVE file")
	}
	var channels, bits, format uint16
	var rate uint32
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, 0, fmt.Errorf("wav chunk: %w", err)
		}
		size := binary.LittleEndian.Uint32(ch[4:])
		if size > 1<<30 {
			return nil, 0, errors.New("wav chunk too large")
		}
		switch string(ch[0:4]) {
		case "fmt ":
			if size < 16 {
				return nil, 0, errors.New("short fmt chunk")
			}
			b := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, 0, fmt.Errorf("fmt chunk: %w", err)
			}
			format = binary.LittleEndian.Uint16(b[0:])
			channels = binary.LittleEndian.Uint16(b[2:])
			rate = binary.LittleEndian.Uint32(b[4:])
			bits = binary.LittleEndian.Uint16(b[14:])
		case "data":
			if format != 1 && format != 0xFFFE || bits != 16 || channels == 0 || rate == 0 {
				return nil, 0, fmt.Errorf("want 16-bit PCM, got format %d, %d bits, %d channels", format, bits, channels)
			}
			b, err := io.ReadAll(io.LimitReader(r, int64(size)))
			if err != nil {
				return nil, 0, fmt.Errorf("data chunk: %w", err)
			}
			n := len(b) / 2 / int(channels)
			out := make([]int16, n)
			for i := range out {
				sum := 0
				for c := 0; c < int(channels); c++ {
					sum += int(int16(binary.LittleEndian.Uint16(b[(i*int(channels)+c)*2:])))
				}
				out[i] = int16(sum / int(channels))
			}
			return out, int(rate), nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size+size%2)); err != nil {
				return nil, 0, fmt.Errorf("skip chunk: %w", err)
			}
		}
	}
}

// WAVSink writes what it is given to an 8 kHz mono 16-bit WAV file; the
// header's sizes are right after every write, so a file read mid-call is
// valid.
type WAVSink struct {
	mu   sync.Mutex
	path string
	f    *os.File
	n    uint32 // data bytes
	buf  []byte
}

// CreateWAVSink creates (or truncates) path.
func CreateWAVSink(path string) (*WAVSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create wav: %w", err)
	}
	w := &WAVSink{path: path, f: f}
	if _, err := f.Write(wavHeader(0)); err != nil {
		f.Close()
		return nil, fmt.Errorf("write wav header: %w", err)
	}
	return w, nil
}

func wavHeader(dataBytes uint32) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], SampleRate)
	binary.LittleEndian.PutUint32(h[28:], SampleRate*2)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
	return h
}

// WriteFrame appends samples and updates the header.
func (w *WAVSink) WriteFrame(pcm []int16) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errors.New("wav sink closed")
	}
	w.buf = w.buf[:0]
	for _, s := range pcm {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(s))
	}
	if _, err := w.f.WriteAt(w.buf, int64(44+w.n)); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	w.n += uint32(len(w.buf))
	if _, err := w.f.WriteAt(wavHeader(w.n), 0); err != nil {
		return fmt.Errorf("write wav header: %w", err)
	}
	return nil
}

// Close closes the file.
func (w *WAVSink) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("close wav: %w", err)
	}
	return nil
}

// Name names the file.
func (w *WAVSink) Name() string { return "file " + w.path }
