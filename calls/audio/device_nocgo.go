//go:build !cgo

package audio

import "errors"

// errNoDevices is what a build without cgo says for "default" and
// "device:NAME": malgo (miniaudio) needs cgo.
var errNoDevices = errors.New("this build has no audio device support (built without cgo)")

func openCapture(string) (Source, error) { return nil, errNoDevices }

func openPlayback(string) (Sink, error) { return nil, errNoDevices }
