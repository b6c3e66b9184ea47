package elementpeer

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"time"
)

// WriteToneWAV writes a 48 kHz mono 16-bit WAV file holding a sine of hz at
// half scale for d, for Options.FakeAudioFile. Whole periods loop cleanly
// when d is a whole number of 1/hz.
func WriteToneWAV(path string, hz float64, d time.Duration) error {
	const rate = 48000
	n := int(d.Seconds() * rate)
	data := make([]byte, 44+2*n)
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], rate)
	binary.LittleEndian.PutUint32(data[28:], rate*2)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*n))
	for i := range n {
		v := int16(math.Sin(2*math.Pi*hz*float64(i)/rate) * 16383)
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(v))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("elementpeer: writing %s: %w", path, err)
	}
	return nil
}
