package matrix

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/teststack"
)

// progressLog records what a Progress callback was told.
type progressLog struct {
	mu          sync.Mutex
	calls       int
	done, total int64
	backwards   bool
}

func (p *progressLog) report(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if done < p.done {
		p.backwards = true
	}
	p.calls++
	p.done, p.total = done, total
}

func (p *progressLog) check(t *testing.T, what string, size int64) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.calls == 0 || p.done != size || p.total != size || p.backwards {
		t.Fatalf("%s progress: %d calls, last %d/%d (backwards %v), want it to end at %d/%d", what, p.calls, p.done, p.total, p.backwards, size, size)
	}
}

// plainRoom has creator (raw HTTP) make an unencrypted room with the two
// live clients joined.
func plainRoom(t *testing.T, creator teststack.User, a, b *live) id.RoomID {
	t.Helper()
	ctx := ctxT(t)
	rid, err := creator.CreateRoom(ctx, map[string]any{"name": "files", "invite": []string{string(b.UserID())}})
	if err != nil {
		t.Fatal(err)
	}
	roomID := id.RoomID(rid)
	b.waitRoom(t, roomID, "the invite", func(r Room) bool { return r.Membership == event.MembershipInvite })
	if _, err := b.JoinRoom(ctx, rid); err != nil {
		t.Fatal(err)
	}
	a.waitRoom(t, roomID, "both joined", func(r Room) bool { return r.JoinedMembers == 2 })
	return roomID
}

// sendFile uploads path from a into the room and returns the event as b
// receives it (decrypted).
func sendFile(t *testing.T, a, b *live, roomID id.RoomID, path string, size int64) *event.Event {
	t.Helper()
	var up progressLog
	txn, err := a.Upload(ctxT(t), roomID, path, up.report)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	up.check(t, "upload", size)
	res := a.rec.waitFor(t, waitTimeout, "the file message sent", func(u Update) bool {
		er, ok := u.(EchoResolved)
		return ok && er.TxnID == txn
	}).(EchoResolved)
	if res.Err != nil {
		t.Fatalf("file message: %v", res.Err)
	}
	return b.waitEvent(t, roomID, "the file message", func(ev *event.Event) bool { return ev.ID == res.EventID })
}

// rawMedia fetches an mxc URI's bytes as stored on the server.
func rawMedia(t *testing.T, u teststack.User, mxc string) []byte {
	t.Helper()
	b, err := u.Media(ctxT(t), mxc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFileTransfer: a file and an image go up from one termatrix client
// and come down at the other byte for byte, with progress, in a plain room
// (event with url) and an encrypted one (event with file, the bytes on the
// server unreadable); the image carries its width and height; a tampered
// hash is refused and leaves no file behind.
func TestFileTransfer(t *testing.T) {
	st := stack.Get(t)
	ua, ub := st.MustRegister(t, "falice"), st.MustRegister(t, "fbob")
	a, b := loginLive(t, st, ua), loginLive(t, st, ub)
	src := t.TempDir()
	data := randomBytes(t, 300<<10)
	doc := writeFile(t, src, "report.pdf", data)
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, image.NewRGBA(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	pic := writeFile(t, src, "cat.png", pngBuf.Bytes())

	for _, encrypted := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "encrypted"}[encrypted], func(t *testing.T) {
			var roomID id.RoomID
			if encrypted {
				roomID = encryptedRoom(t, a, b, ua)
			} else {
				roomID = plainRoom(t, ua, a, b)
			}
			ev := sendFile(t, a, b, roomID, doc, int64(len(data)))
			mc, ok := ev.Content.Parsed.(*event.MessageEventContent)
			if !ok {
				t.Fatalf("not a message: %s", ev.Content.VeryRaw)
			}
			if mc.MsgType != event.MsgFile || mc.Body != "report.pdf" || mc.FileName != "report.pdf" || mc.Info == nil ||
				mc.Info.MimeType != "application/pdf" || mc.Info.Size != len(data) {
				t.Fatalf("file event: %s", ev.Content.VeryRaw)
			}
			if encrypted != ev.Mautrix.WasEncrypted {
				t.Fatalf("event encrypted %v in a room encrypted %v", ev.Mautrix.WasEncrypted, encrypted)
			}
			var mxc string
			if encrypted {
				if mc.File == nil || mc.URL != "" || mc.File.Version != "v2" || mc.File.Key.Algorithm != "A256CTR" || mc.File.Hashes.SHA256 == "" {
					t.Fatalf("encrypted room: want file (v2, A256CTR, sha256) and no url: %s", ev.Content.VeryRaw)
				}
				mxc = string(mc.File.URL)
			} else {
				if mc.URL == "" || mc.File != nil {
					t.Fatalf("plain room: want url and no file: %s", ev.Content.VeryRaw)
				}
				mxc = string(mc.URL)
			}
			raw := rawMedia(t, ub, mxc)
			if encrypted == bytes.Equal(raw, data) || len(raw) != len(data) {
				t.Fatalf("on the server: %d bytes, equal to the plaintext %v (room encrypted %v)", len(raw), bytes.Equal(raw, data), encrypted)
			}
			if encrypted && bytes.Contains(raw, data[:64]) {
				t.Fatal("the plaintext is readable on the server")
			}

			dir := t.TempDir()
			var down progressLog
			saved, err := b.SaveAttachment(ctxT(t), ev, dir, down.report)
			if err != nil {
				t.Fatalf("SaveAttachment: %v", err)
			}
			down.check(t, "download", int64(len(data)))
			got, _ := os.ReadFile(saved)
			if filepath.Dir(saved) != dir || filepath.Base(saved) != "report.pdf" || !bytes.Equal(got, data) {
				t.Fatalf("saved %s: %d bytes, equal %v", saved, len(got), bytes.Equal(got, data))
			}
			// Never overwritten: the second copy is "report (1).pdf".
			again, err := b.SaveAttachment(ctxT(t), ev, dir, nil)
			if err != nil || filepath.Base(again) != "report (1).pdf" {
				t.Fatalf("second save: %s %v", again, err)
			}

			img := sendFile(t, a, b, roomID, pic, int64(pngBuf.Len()))
			ic := img.Content.AsMessage()
			if ic.MsgType != event.MsgImage || ic.Info == nil || ic.Info.Width != 3 || ic.Info.Height != 2 || ic.Info.MimeType != "image/png" {
				t.Fatalf("image event: %s", img.Content.VeryRaw)
			}

			if encrypted {
				// A hash that does not match: refused, nothing left.
				var content map[string]any
				_ = json.Unmarshal(ev.Content.VeryRaw, &content)
				content["file"].(map[string]any)["hashes"] = map[string]any{"sha256": base64.RawStdEncoding.EncodeToString(make([]byte, 32))}
				forged, _ := json.Marshal(content)
				bad := &event.Event{Type: event.EventMessage, RoomID: roomID, Content: event.Content{VeryRaw: forged}}
				empty := t.TempDir()
				if _, err := b.SaveAttachment(ctxT(t), bad, empty, nil); !errors.Is(err, ErrHashMismatch) {
					t.Fatalf("tampered hash: %v, want ErrHashMismatch", err)
				}
				if left, _ := os.ReadDir(empty); len(left) != 0 {
					t.Fatalf("a refused download left %v", left)
				}
			}
		})
	}
}

// uploadRaw uploads bytes as u and returns the mxc URI.
func uploadRaw(t *testing.T, u teststack.User, data []byte) string {
	t.Helper()
	mxc, err := u.UploadMedia(ctxT(t), data, "application/octet-stream")
	if err != nil {
		t.Fatal(err)
	}
	return mxc
}

// TestHostileFileNames: names in incoming file events cannot climb out of
// the download folder, hide the file, or carry control characters, and a
// 10 KB name is cut.
func TestHostileFileNames(t *testing.T) {
	st := stack.Get(t)
	ua, ub := st.MustRegister(t, "hnalice"), st.MustRegister(t, "hnbob")
	a, b := loginLive(t, st, ua), loginLive(t, st, ub)
	roomID := plainRoom(t, ub, b, a)
	mxc := uploadRaw(t, ub, []byte("payload"))
	names := map[string]string{
		"../../etc/passwd":           "passwd",
		"..":                         "download",
		".bashrc":                    "bashrc",
		"a\x1b]0;pwned\x07b\r\n.txt": "a]0;pwnedb .txt",
		"x/../../" + strings.Repeat("é", 5000) + ".txt": "",
	}
	dir := filepath.Join(t.TempDir(), "dl")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, want := range names {
		evID, err := ub.SendEvent(ctxT(t), string(roomID), "m.room.message", map[string]any{"msgtype": "m.file", "body": name, "url": mxc})
		if err != nil {
			t.Fatal(err)
		}
		ev := a.waitEvent(t, roomID, "the file event", func(ev *event.Event) bool { return string(ev.ID) == evID })
		saved, err := a.SaveAttachment(ctxT(t), ev, dir, nil)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		base := filepath.Base(saved)
		if filepath.Dir(saved) != dir || (want != "" && base != want) || len(base) > 200 || strings.HasPrefix(base, ".") {
			t.Errorf("%.40q saved as %q", name, saved)
		}
		if got, _ := os.ReadFile(saved); string(got) != "payload" {
			t.Errorf("%.40q: saved %q", name, got)
		}
	}
	t.Logf("saved: %d files, all inside the folder", len(names))
}

// TestCancelledUploadSendsNothing: cancelling an upload part way stops it
// and no message is queued or sent.
func TestCancelledUploadSendsNothing(t *testing.T) {
	st := stack.Get(t)
	ua, ub := st.MustRegister(t, "cualice"), st.MustRegister(t, "cubob")
	a, b := loginLive(t, st, ua), loginLive(t, st, ub)
	roomID := plainRoom(t, ua, a, b)
	path := writeFile(t, t.TempDir(), "big.bin", randomBytes(t, 8<<20))
	ctx, cancel := context.WithCancel(ctxT(t))
	var at int64
	_, err := a.Upload(ctx, roomID, path, func(done, total int64) {
		if done > 1<<20 && at == 0 {
			at = done
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled upload: %v", err)
	}
	if q := a.Outbox(roomID); len(q) != 0 {
		t.Fatalf("a cancelled upload queued %d messages", len(q))
	}
	// A marker message after it arrives; nothing came before it.
	mark, err := ua.SendMessage(ctxT(t), string(roomID), "marker")
	if err != nil {
		t.Fatal(err)
	}
	b.waitEvent(t, roomID, "the marker", func(ev *event.Event) bool { return string(ev.ID) == mark })
	msgs, err := ub.Messages(ctxT(t), string(roomID), 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Type == "m.room.message" && strings.Contains(string(m.Content), "big.bin") {
			t.Fatalf("the cancelled file was sent: %s", m.Content)
		}
	}
	t.Logf("cancelled at %.1f MB of 8 MB", float64(at)/(1<<20))
}

// memPeak samples the live heap (after a GC) until stop is closed and
// returns the highest, in bytes.
func memPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		for {
			runtime.GC()
			if h := heapAlloc(); h > peak {
				peak = h
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return out
}

// TestLargeFileMemory moves a 20 MB file up and down an encrypted room
// and prints how much the live heap grew meanwhile; it fails only if that
// is near the file's size (held whole rather than streamed).
func TestLargeFileMemory(t *testing.T) {
	st := stack.Get(t)
	ua, ub := st.MustRegister(t, "mmalice"), st.MustRegister(t, "mmbob")
	a, b := loginLive(t, st, ua), loginLive(t, st, ub)
	roomID := encryptedRoom(t, a, b, ua)
	const size = 20 << 20
	path := writeFile(t, t.TempDir(), "big.bin", randomBytes(t, size))
	hwm0 := vmHWM()
	runtime.GC()
	base := heapAlloc()

	stop := make(chan struct{})
	peakCh := memPeak(stop)
	ev := sendFile(t, a, b, roomID, path, size)
	close(stop)
	upPeak := <-peakCh

	runtime.GC()
	base2 := heapAlloc()
	stop = make(chan struct{})
	peakCh = memPeak(stop)
	saved, err := b.SaveAttachment(ctxT(t), ev, t.TempDir(), nil)
	close(stop)
	downPeak := <-peakCh
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(saved)
	if st1.Size() != size {
		t.Fatalf("saved %d bytes", st1.Size())
	}
	up, down := int64(upPeak)-int64(base), int64(downPeak)-int64(base2)
	fmt.Printf("20 MB file, encrypted room: live heap grew %.2f MB during the upload, %.2f MB during the download; VmHWM %d → %d kB\n",
		float64(up)/(1<<20), float64(down)/(1<<20), hwm0, vmHWM())
	if up > size/2 || down > size/2 {
		t.Fatalf("the heap grew by %d / %d bytes for a %d byte file: not streamed", up, down, size)
	}
}

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// vmHWM is the process's peak resident memory in kB (Linux), 0 elsewhere.
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
