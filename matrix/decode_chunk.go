package matrix

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Decoding a chunk of a sync's rooms on more than one core. A cold start's
// three stages (reading and splitting the body, decoding, storing) each
// run on a goroutine of their own; once the body is read, its core would
// wait on the other two, and a trace of a cold start showed the store
// idle most of the time, waiting for the next decoded chunk. Rooms decode
// independently of each other, so a chunk's rooms are shared out among
// workers: the decoding then takes whatever the store leaves of both
// cores.

// minRoomsPerDecoder is how many rooms a decoding worker takes at least:
// a sync of a few rooms (every one after the first) decodes on the
// caller's goroutine, with no hand-off.
const minRoomsPerDecoder = 16

// decodeChunk decodes a chunk's rooms and parses their events' content. It
// returns the error of the first room, in the chunk's order, that failed:
// what the rooms before it decoded is kept, as is what the workers
// decoded after it (release drops both).
func decodeChunk(chunk []syncRoom) error {
	workers := min(runtime.GOMAXPROCS(0), len(chunk)/minRoomsPerDecoder)
	if workers <= 1 {
		for i := range chunk {
			if err := chunk[i].decodeAndPrepare(); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(chunk))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(chunk) {
					return
				}
				errs[i] = chunk[i].decodeAndPrepare()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeAndPrepare decodes the room and readies its events for the store.
func (r *syncRoom) decodeAndPrepare() error {
	if err := r.decode(); err != nil {
		return err
	}
	r.prepare()
	return nil
}
