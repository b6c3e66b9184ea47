//go:build cgo

package audio

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// ring is a bounded FIFO of samples shared with a device callback.
type ring struct {
	mu  sync.Mutex
	buf []int16
	max int
}

func (r *ring) push(s []int16) {
	r.mu.Lock()
	r.buf = append(r.buf, s...)
	if over := len(r.buf) - r.max; over > 0 {
		r.buf = append(r.buf[:0], r.buf[over:]...)
	}
	r.mu.Unlock()
}

// pop fills out, with zeros past what is buffered.
func (r *ring) pop(out []int16) {
	r.mu.Lock()
	n := copy(out, r.buf)
	r.buf = append(r.buf[:0], r.buf[n:]...)
	r.mu.Unlock()
	clear(out[n:])
}

// device is an open malgo capture or playback device.
type device struct {
	name string
	ctx  *malgo.AllocatedContext
	dev  *malgo.Device
	ring ring
}

// openDevice opens a capture or playback device at 8 kHz mono S16 with a
// 20 ms period; miniaudio converts from the hardware's format. name ""
// is the default device, otherwise the device whose name equals or
// contains name.
func openDevice(kind malgo.DeviceType, name string) (*device, error) {
	restore := quietStderr()
	defer restore()
	ctx, err := malgo.InitContext(nil, malgo.ContextConfig{}, nil)
	if err != nil {
		return nil, fmt.Errorf("no audio system: %w", err)
	}
	d := &device{name: "default device", ctx: ctx, ring: ring{max: SampleRate / 2}}
	cfg := malgo.DefaultDeviceConfig(kind)
	cfg.SampleRate = SampleRate
	cfg.PeriodSizeInMilliseconds = 20
	sub := &cfg.Playback
	if kind == malgo.Capture {
		sub = &cfg.Capture
	}
	sub.Format = malgo.FormatS16
	sub.Channels = 1
	// The device ID is Go memory handed to C: pin it for the call.
	var pin runtime.Pinner
	defer pin.Unpin()
	if name != "" {
		info, err := findDevice(ctx, kind, name)
		if err != nil {
			d.free()
			return nil, err
		}
		id := new(malgo.DeviceID)
		*id = info.ID
		pin.Pin(id)
		sub.DeviceID = unsafe.Pointer(id)
		d.name = "device " + info.Name()
	}
	cb := malgo.DeviceCallbacks{Data: d.capture}
	if kind == malgo.Playback {
		cb.Data = d.play
	}
	dev, err := malgo.InitDevice(ctx.Context, cfg, cb)
	if err != nil {
		d.free()
		return nil, fmt.Errorf("open %s: %w", d.name, err)
	}
	d.dev = dev
	if err := dev.Start(); err != nil {
		d.free()
		return nil, fmt.Errorf("start %s: %w", d.name, err)
	}
	return d, nil
}

func findDevice(ctx *malgo.AllocatedContext, kind malgo.DeviceType, name string) (*malgo.DeviceInfo, error) {
	infos, err := ctx.Devices(kind)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	var names []string
	for i := range infos {
		if infos[i].Name() == name {
			return &infos[i], nil
		}
		names = append(names, infos[i].Name())
	}
	for i := range infos {
		if strings.Contains(infos[i].Name(), name) {
			return &infos[i], nil
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no device named %q: there are no devices", name)
	}
	return nil, fmt.Errorf("no device named %q (there are: %s)", name, strings.Join(names, ", "))
}

func (d *device) capture(_, in []byte, frames uint32) {
	n := int(frames)
	if len(in) < n*2 {
		n = len(in) / 2
	}
	d.ring.push(unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(in))), n))
}

func (d *device) play(out, _ []byte, frames uint32) {
	n := int(frames)
	if len(out) < n*2 {
		n = len(out) / 2
	}
	d.ring.pop(unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(out))), n))
}

func (d *device) free() {
	if d.dev != nil {
		d.dev.Uninit()
		d.dev = nil
	}
	if d.ctx != nil {
		_ = d.ctx.Uninit()
		d.ctx.Free()
		d.ctx = nil
	}
}

// Capture is a microphone.
type Capture struct{ d *device }

func openCapture(name string) (*Capture, error) {
	d, err := openDevice(malgo.Capture, name)
	if err != nil {
		return nil, err
	}
	return &Capture{d}, nil
}

// ReadFrame takes the oldest captured samples, padding with silence.
func (c *Capture) ReadFrame(buf []int16) error { c.d.ring.pop(buf); return nil }

// Close stops and frees the device.
func (c *Capture) Close() error { c.d.free(); return nil }

// Name names the device.
func (c *Capture) Name() string { return c.d.name }

// Playback is a speaker.
type Playback struct{ d *device }

func openPlayback(name string) (*Playback, error) {
	d, err := openDevice(malgo.Playback, name)
	if err != nil {
		return nil, err
	}
	return &Playback{d}, nil
}

// WriteFrame queues samples for playing (at most half a second).
func (p *Playback) WriteFrame(buf []int16) error {
	p.d.ring.push(buf)
	return nil
}

// Close stops and frees the device.
func (p *Playback) Close() error { p.d.free(); return nil }

// Name names the device.
func (p *Playback) Name() string { return p.d.name }
