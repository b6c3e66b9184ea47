//go:build !opus

package audio

// OpusAvailable says this build links libopus; without the build tag
// opus it does not, and NewOpusEncoder and NewOpusDecoder fail with
// ErrNoOpus.
const OpusAvailable = false

// OpusEncoder is the Opus encoder of builds with the tag opus; in this
// build it cannot be made.
type OpusEncoder struct{}

// NewOpusEncoder fails: this build has no Opus.
func NewOpusEncoder() (*OpusEncoder, error) { return nil, ErrNoOpus }

// Encode never runs (no encoder can be made).
func (e *OpusEncoder) Encode(dst []byte, _ []int16) ([]byte, error) { return dst, ErrNoOpus }

// OpusDecoder is the Opus decoder of builds with the tag opus; in this
// build it cannot be made.
type OpusDecoder struct{}

// NewOpusDecoder fails: this build has no Opus.
func NewOpusDecoder() (*OpusDecoder, error) { return nil, ErrNoOpus }

// Decode never runs (no decoder can be made).
func (d *OpusDecoder) Decode(dst []int16, _ []byte) ([]int16, error) { return dst, ErrNoOpus }
