package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"maunium.net/go/mautrix/event"

	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// transfer is an upload or download in progress. Its counters are written
// by the transfer's goroutine; the rest only on the UI goroutine.
type transfer struct {
	verb   string // "Uploading", "Downloading"
	name   string // sanitized, for the status line
	cancel context.CancelFunc
	done   atomic.Int64
	total  atomic.Int64
}

// transfers is the UI's file transfer: one at a time, shown in the
// status line with a progress bar.
type transfers struct {
	cur *transfer
}

// progressRedraw is how often the status line's progress bar is redrawn.
const progressRedraw = 200 * time.Millisecond

// startTransfer runs f (an upload or download) off the UI goroutine with
// a cancellable context, showing its progress until it ends; then done
// (on the UI goroutine) says how it went. It refuses a second transfer.
func (u *UI) startTransfer(verb, name string, f func(ctx context.Context, c *matrix.Client, progress func(done, total int64)) error, done func(err error)) {
	c := u.s.client
	if c == nil {
		return
	}
	if cur := u.xfer.cur; cur != nil {
		u.say(true, "%s %s is still running: wait, or /cancel it.", cur.verb, cur.name)
		return
	}
	ctx, cancel := context.WithCancel(u.s.sessionCtx)
	tr := &transfer{verb: verb, name: name, cancel: cancel}
	u.xfer.cur = tr
	u.refreshStatus()
	go func() {
		defer cancel()
		stop := make(chan struct{})
		go func() {
			t := time.NewTicker(progressRedraw)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					u.queue(u.refreshStatus)
				}
			}
		}()
		err := f(ctx, c, func(d, t int64) { tr.done.Store(d); tr.total.Store(t) })
		close(stop)
		if ctx.Err() != nil && err != nil {
			err = context.Canceled
		}
		u.queue(func() {
			if u.xfer.cur == tr {
				u.xfer.cur = nil
			}
			done(err)
			u.refreshStatus()
		})
	}()
}

// cancelTransfer cancels the running transfer and says whether there was one.
func (u *UI) cancelTransfer() bool {
	tr := u.xfer.cur
	if tr == nil {
		return false
	}
	tr.cancel()
	return true
}

// transferSegments is the status line's part for the running transfer:
// "Uploading cat.jpg ▓▓▓▓░░░░ 48% 4.1/8.5 MB — Esc or /cancel stops it".
func (u *UI) transferSegments(bg tcell.Style) Line {
	tr := u.xfer.cur
	if tr == nil {
		return nil
	}
	done, total := tr.done.Load(), tr.total.Load()
	txt := " " + tr.verb + " " + sanitize.Cut(tr.name, 32) + " "
	if total > 0 {
		pct := int(min(done*100/total, 100))
		txt += progressBar(pct, 8) + fmt.Sprintf(" %d%% %s", pct, sizePair(done, total))
	} else {
		txt += humanSize(done)
	}
	return Line{{" │", bg}, {txt, bg.Foreground(tcell.ColorLightCyan)}, {" — Esc or /cancel stops it", bg.Foreground(tcell.ColorGray)}}
}

// progressBar draws pct (0–100) in cells ▓ and ░.
func progressBar(pct, cells int) string {
	full := pct * cells / 100
	return strings.Repeat("▓", full) + strings.Repeat("░", cells-full)
}

// humanSize is a byte count for people: 512 B, 4.1 KB, 8.5 MB, 1.2 GB.
func humanSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f KB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// sizePair is "4.1/8.5 MB" (the unit of the total).
func sizePair(done, total int64) string {
	t := humanSize(total)
	num, unit, _ := strings.Cut(t, " ")
	d := float64(done)
	switch unit {
	case "KB":
		d /= 1000
	case "MB":
		d /= 1e6
	case "GB":
		d /= 1e9
	}
	if unit == "B" {
		return fmt.Sprintf("%d/%s B", done, num)
	}
	return fmt.Sprintf("%.1f/%s %s", d, num, unit)
}

// localPath turns what the user typed or pasted into a path: quotes and
// backslash-escaped spaces (as terminals paste dropped files) undone,
// file:// URIs decoded, ~ expanded.
func localPath(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	} else {
		s = strings.ReplaceAll(s, `\ `, " ")
	}
	if strings.HasPrefix(s, "file://") {
		if u, err := url.Parse(s); err == nil && (u.Host == "" || u.Host == "localhost") {
			s = u.Path
		}
	}
	if s == "~" || strings.HasPrefix(s, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			s = filepath.Join(home, s[1:])
		}
	}
	return s
}

// droppedFile says whether the composer's whole text is the path of an
// existing file, as a terminal pastes a file dragged onto it: absolute, ~/
// or file://, one line. Plain words ("notes.txt") never count, so a
// message is never mistaken for a file.
func droppedFile(text string) (string, bool) {
	t := strings.TrimSpace(text)
	if t == "" || strings.ContainsAny(t, "\n\r") {
		return "", false
	}
	bare := strings.Trim(t, `'"`)
	if !strings.HasPrefix(bare, "/") && !strings.HasPrefix(bare, "~/") && !strings.HasPrefix(bare, "file://") {
		return "", false
	}
	p := localPath(t)
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return "", false
	}
	return p, true
}

// confirmUpload asks before uploading a pasted path. Asking, as Element
// asks before uploading a dropped or pasted file, because a file once
// uploaded cannot be taken back (in a public room anyone can fetch it),
// and the user may have meant to send the path as text.
func (u *UI) confirmUpload(path string) {
	shown := sanitize.Line(path)
	lines := []Line{plain("Upload "+shown+" to this room?", styleText)}
	if r, ok := u.w.roomList.Room(u.s.current); ok && !r.Encrypted {
		lines = append(lines, plain("This room is not encrypted: the server can read the file.", styleDim))
	}
	u.confirm("Upload file", lines, "y upload · n keep the text", func() {
		u.w.composer.SetText("", true)
		u.upload(path)
	})
}

// uploadCommand runs /upload PATH.
func (u *UI) uploadCommand(arg string) bool {
	if arg == "" {
		u.say(true, "Usage: /upload PATH — send a file to the open room")
		return false
	}
	p := localPath(arg)
	st, err := os.Stat(p)
	switch {
	case err != nil:
		u.say(true, "Cannot upload %s: %s. Usage: /upload PATH", sanitize.Line(arg), sanitize.Line(pathErrText(err)))
		return false
	case !st.Mode().IsRegular():
		u.say(true, "%s is not a file. Usage: /upload PATH", sanitize.Line(arg))
		return false
	}
	if !u.canSend() {
		return false
	}
	u.upload(p)
	return true
}

// pathErrText is why a path failed, without repeating the path.
func pathErrText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// upload uploads path to the open room with progress in the status line.
func (u *UI) upload(path string) {
	room := u.s.current
	name := sanitize.Line(filepath.Base(path))
	u.startTransfer("Uploading", name, func(ctx context.Context, c *matrix.Client, progress func(done, total int64)) error {
		_, err := c.Upload(ctx, room, path, progress)
		return err
	}, func(err error) {
		switch {
		case errors.Is(err, context.Canceled):
			u.say(false, "Upload of %s cancelled; nothing was sent.", name)
		case err != nil:
			u.say(true, "Upload failed: %s", sanitize.Line(err.Error()))
		default:
			u.say(false, "Uploaded %s.", name)
		}
	})
}

// downloadCommand runs /download [PATH]: the newest file message of the
// open room (once messages can be selected, the selected one: see
// downloadEvent) goes to the download folder or PATH.
func (u *UI) downloadCommand(arg string) bool {
	tv := u.w.slot.tv
	var ev *event.Event
	if tv != nil {
		ev = tv.NewestAttachment()
	}
	if ev == nil {
		u.say(true, "No file among this room's loaded messages. Usage: /download [PATH]")
		return false
	}
	dest := ""
	if arg != "" {
		dest = localPath(arg)
	}
	u.downloadEvent(ev, dest)
	return true
}

// downloadEvent saves a file message's attachment to dest ("" is the
// download folder; a folder; or a file path), with progress in the status
// line. The selection's save key calls it.
func (u *UI) downloadEvent(ev *event.Event, dest string) { u.downloadEventThen(ev, dest, nil) }

// downloadEventThen is downloadEvent; then, when given, runs once the file
// is saved, with its path, in place of the "Saved" message.
func (u *UI) downloadEventThen(ev *event.Event, dest string, then func(saved string)) {
	a, err := matrix.AttachmentOf(ev)
	if err != nil {
		u.say(true, "That message has no file to save.")
		return
	}
	var saved string
	u.startTransfer("Downloading", a.Name, func(ctx context.Context, c *matrix.Client, progress func(done, total int64)) error {
		var err error
		saved, err = c.SaveAttachment(ctx, ev, dest, progress)
		return err
	}, func(err error) {
		switch {
		case errors.Is(err, context.Canceled):
			u.say(false, "Download of %s cancelled; the partial file was deleted.", a.Name)
		case errors.Is(err, matrix.ErrHashMismatch):
			u.say(true, "%s was not saved: %s. The partial file was deleted.", a.Name, err.Error())
		case err != nil:
			u.say(true, "Download failed: %s", sanitize.Line(err.Error()))
		case then != nil:
			then(saved)
		default:
			u.say(false, "Saved %s", sanitize.Line(saved))
		}
	})
}

// NewestAttachment is the newest loaded file message (m.file, m.image,
// m.audio, m.video) that has not been deleted, or nil.
func (t *TimelineView) NewestAttachment() *event.Event {
	for i := len(t.items) - 1; i >= 0; i-- {
		ev := t.items[i].ev
		if ev == nil || ev.ID == "" || ev.Unsigned.RedactedBecause != nil {
			continue
		}
		if _, err := matrix.AttachmentOf(ev); err == nil {
			return ev
		}
	}
	return nil
}

// cancelCommand runs /cancel.
func (u *UI) cancelCommand() bool {
	if !u.cancelTransfer() {
		u.say(false, "No upload or download is running.")
	}
	return true
}
