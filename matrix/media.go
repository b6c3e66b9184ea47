package matrix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"sync/atomic"

	"maunium.net/go/mautrix/crypto/attachment"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/sanitize"
)

// Progress reports a transfer's bytes done out of total (total is 0 when
// unknown). It is called from the transfer's goroutine, often: callers
// throttle what they draw.
type Progress func(done, total int64)

// ErrHashMismatch is returned by Download when an encrypted attachment's
// SHA-256 does not match its event: the bytes were changed on the way and
// what was written must be thrown away.
var ErrHashMismatch = errors.New("the attachment does not match its checksum (changed on the server or on the way)")

// ErrNoAttachment is returned for an event that carries no file.
var ErrNoAttachment = errors.New("not a file, image, audio or video message")

// Attachment is what a file message (m.file, m.image, m.audio, m.video)
// says of its file, checked: a well-formed mxc URI, and in an encrypted
// room a v2 AES-CTR key.
type Attachment struct {
	// MsgType is m.file, m.image, m.audio or m.video.
	MsgType event.MessageType
	// Name is the file name to save under, made safe (sanitize.FileName).
	Name string
	// MimeType and Size are what the sender said (Size 0: not said).
	MimeType string
	Size     int64
	// URL is where the (possibly encrypted) bytes are.
	URL id.ContentURI
	// File is the decryption key, nil for a file sent in clear.
	File *attachment.EncryptedFile
}

// Encrypted says whether the file is end-to-end encrypted.
func (a Attachment) Encrypted() bool { return a.File != nil }

// attachmentContent is the part of a message's content ParseAttachment reads.
type attachmentContent struct {
	MsgType  event.MessageType `json:"msgtype"`
	Body     string            `json:"body"`
	FileName string            `json:"filename"`
	URL      string            `json:"url"`
	File     *struct {
		attachment.EncryptedFile
		URL string `json:"url"`
	} `json:"file"`
	Info *struct {
		MimeType string `json:"mimetype"`
		Size     int64  `json:"size"`
	} `json:"info"`
}

// mxcServer and mxcMedia are what the spec allows in an mxc URI's server
// name and media ID; anything else never reaches a request path.
var (
	mxcServer = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)
	mxcMedia  = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)
)

// parseMXC parses and checks an mxc:// URI.
func parseMXC(s string) (id.ContentURI, error) {
	u, err := id.ParseContentURI(s)
	if err != nil {
		return id.ContentURI{}, fmt.Errorf("bad mxc URI: %w", err)
	}
	if len(u.Homeserver) > 255 || !mxcServer.MatchString(u.Homeserver) || len(u.FileID) > 255 || !mxcMedia.MatchString(u.FileID) {
		return id.ContentURI{}, errors.New("bad mxc URI: server name or media ID has characters the spec does not allow")
	}
	return u, nil
}

// ParseAttachment reads the file a message event's content (as JSON)
// carries. Every field is remote and checked: an unknown msgtype, a
// malformed mxc URI or key is an error, the name is sanitized.
func ParseAttachment(raw []byte) (Attachment, error) {
	var c attachmentContent
	if err := json.Unmarshal(raw, &c); err != nil {
		return Attachment{}, fmt.Errorf("reading the attachment: %w", err)
	}
	switch c.MsgType {
	case event.MsgFile, event.MsgImage, event.MsgAudio, event.MsgVideo:
	default:
		return Attachment{}, ErrNoAttachment
	}
	a := Attachment{MsgType: c.MsgType}
	name := c.FileName
	if name == "" {
		name = c.Body
	}
	a.Name = sanitize.FileName(name)
	if c.Info != nil {
		a.MimeType = sanitize.Line(c.Info.MimeType)
		if len(a.MimeType) > 255 {
			a.MimeType = ""
		}
		a.Size = max(c.Info.Size, 0)
	}
	var err error
	if c.File != nil {
		if a.URL, err = parseMXC(c.File.URL); err != nil {
			return Attachment{}, err
		}
		ef := c.File.EncryptedFile
		if err := ef.PrepareForDecryption(); err != nil {
			return Attachment{}, fmt.Errorf("the attachment's key is unusable: %w", err)
		}
		a.File = &ef
		return a, nil
	}
	if a.URL, err = parseMXC(c.URL); err != nil {
		return Attachment{}, err
	}
	return a, nil
}

// AttachmentOf is ParseAttachment for an event (decrypted, if it was
// encrypted). ErrNoAttachment says it is not a file message.
func AttachmentOf(ev *event.Event) (Attachment, error) {
	if ev == nil || ev.Type != event.EventMessage {
		return Attachment{}, ErrNoAttachment
	}
	raw := ev.Content.VeryRaw
	if len(raw) == 0 {
		var v any = ev.Content.Raw
		if mc, ok := ev.Content.Parsed.(*event.MessageEventContent); ok {
			v = mc
		}
		b, err := json.Marshal(v)
		if err != nil {
			return Attachment{}, fmt.Errorf("reading the attachment: %w", err)
		}
		raw = b
	}
	return ParseAttachment(raw)
}

// mediaRoutes remembers which download endpoints the homeserver has:
// authenticated media (/_matrix/client/v1/media, spec v1.11 or the
// unstable flag) or only the legacy /_matrix/media/v3.
type mediaRoutes struct {
	mu      sync.Mutex
	checked bool
	authed  bool
}

// progressReader counts what passes through it and reports it. done is
// atomic, so a reader of Done after the transfer sees every Read.
type progressReader struct {
	r        io.Reader
	total    int64
	done     atomic.Int64
	progress Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		d := p.done.Add(int64(n))
		if p.progress != nil {
			p.progress(d, p.total)
		}
	}
	return n, err
}

// progressWriter is progressReader for writes.
type progressWriter struct {
	w        io.Writer
	total    int64
	done     int64
	progress Progress
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.progress != nil && n > 0 {
		p.progress(p.done, p.total)
	}
	return n, err
}
