package matrix

import (
	"fmt"
	"os"

	"maunium.net/go/mautrix/id"
)

// roomSink keeps the raw rooms decodeSync reads, in memory up to keep
// bytes, then in a spill file. The joined rooms that may be stored while
// the response still downloads go to early instead (sync_early.go).
type roomSink struct {
	sections [3]map[id.RoomID]syncRoom
	dir      string
	keep     int
	kept     int
	spill    *spillFile
	noSpill  bool // creating or writing the file failed: memory it is

	roomsSeen bool        // the response's rooms have begun
	early     *earlyStore // nil: no room goes early (yet)
	earlyIDs  map[id.RoomID]bool
	pending   []syncRoom // early rooms not handed over yet
	pendingN  int        // their raw size
}

func (s *roomSink) put(sec roomSection, roomID id.RoomID, raw []byte) {
	if s.sections[sec] == nil {
		s.sections[sec] = make(map[id.RoomID]syncRoom)
	}
	enc := mayHoldEncrypted(raw)
	if s.takesEarly(sec, roomID, enc) {
		// Never spilled: the early store takes it soon, and the reader
		// waits while too much is queued for it (earlyStore.push).
		s.addEarly(roomID, syncRoom{raw: raw})
		return
	}
	s.sections[sec][roomID] = s.hold(raw, enc)
}

// hold keeps a room's raw JSON in memory or in the spill file.
func (s *roomSink) hold(raw []byte, enc bool) syncRoom {
	if s.dir != "" && !s.noSpill && s.kept+len(raw) > s.keep {
		if s.spill == nil {
			f, err := newSpillFile(s.dir)
			if err != nil {
				s.noSpill = true
			}
			s.spill = f
		}
		if s.spill != nil {
			if off, err := s.spill.write(raw); err == nil {
				return syncRoom{spill: s.spill, off: off, n: len(raw), encrypted: enc}
			}
			s.noSpill = true
		}
	}
	s.kept += len(raw)
	return syncRoom{raw: raw, encrypted: enc}
}

// spillFile is a temporary file holding the raw rooms of a sync too big
// to keep in memory. It is unlinked as soon as it is created where the
// system allows it, so nothing of it outlives the process.
type spillFile struct {
	f        *os.File
	size     int64
	unlinked bool
}

func newSpillFile(dir string) (*spillFile, error) {
	f, err := os.CreateTemp(dir, ".sync-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("creating the sync's spill file: %w", err)
	}
	return &spillFile{f: f, unlinked: os.Remove(f.Name()) == nil}, nil
}

func (s *spillFile) write(raw []byte) (int64, error) {
	off := s.size
	n, err := s.f.Write(raw)
	s.size += int64(n)
	if err != nil {
		return 0, fmt.Errorf("writing the sync's spill file: %w", err)
	}
	return off, nil
}

func (s *spillFile) close() {
	_ = s.f.Close()
	if !s.unlinked {
		_ = os.Remove(s.f.Name())
	}
}
