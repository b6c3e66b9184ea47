package app

import (
	"fmt"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/calls/audio"
	"github.com/termatrix/termatrix/calls/rtc"
	"github.com/termatrix/termatrix/calls/rtc/lkmedia"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
)

// NewElementCall is the Element Call (MatrixRTC) engine of an account:
// rtc.Manager with the LiveKit media, opening the configured microphone
// and speaker for each call and closing them when it ends.
func NewElementCall(c *matrix.Client, cfg *config.Config) calls.ElementCall {
	in, out := cfg.Audio.Input, cfg.Audio.Output
	return rtc.NewManager(c, nil, rtc.Options{OpenMedia: func() (rtc.MediaDialer, audio.Source, error) {
		src, err := audio.OpenSource(in)
		if err != nil {
			return nil, nil, fmt.Errorf("microphone %q: %w", in, err)
		}
		snk, err := audio.OpenSink(out)
		if err != nil {
			_ = src.Close()
			return nil, nil, fmt.Errorf("speaker %q: %w", out, err)
		}
		return sinkClosingDialer{lkmedia.NewDialer(snk), snk}, src, nil
	}})
}

// sinkClosingDialer closes the speaker after the dialer (which only stops
// writing to it).
type sinkClosingDialer struct {
	rtc.MediaDialer
	sink audio.Sink
}

func (d sinkClosingDialer) Close() error {
	err := d.MediaDialer.Close()
	if cerr := d.sink.Close(); err == nil {
		err = cerr
	}
	return err
}
