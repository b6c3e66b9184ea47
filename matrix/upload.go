package matrix

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // image.DecodeConfig reads GIF headers
	_ "image/jpeg" // … JPEG
	_ "image/png"  // … PNG
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	_ "golang.org/x/image/webp" // … WebP

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/attachment"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// Upload sends a file from disk to a room: it is uploaded to the media
// repository, streamed (read, and in an end-to-end encrypted room
// encrypted, a buffer at a time: a file is never held whole in memory),
// then its message (m.image with width and height for PNG, JPEG, GIF and
// WebP; m.audio, m.video, or m.file; with mimetype, size and the file name)
// goes into the room's send queue like a typed message, and is encrypted
// there in an encrypted room. In an encrypted room the file itself is
// encrypted as the spec's encrypted attachments are (AES-256-CTR, the key,
// IV and SHA-256 in the event's "file"): the server only ever sees
// ciphertext. progress (may be nil) is told the bytes read. Cancelling
// ctx stops the upload and sends nothing. It returns the message's
// transaction ID once the upload is done.
func (c *Client) Upload(ctx context.Context, roomID id.RoomID, path string, progress func(done, total int64)) (string, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("uploading %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("uploading %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("uploading %s: not a regular file", name)
	}
	size := st.Size()
	content := fileContent(f, name, size)
	encrypted, err := c.roomEncrypted(ctx, roomID)
	if err != nil {
		return "", fmt.Errorf("uploading %s: %w", name, err)
	}
	pr := &progressReader{r: io.NewSectionReader(f, 0, size), total: size, progress: progress}
	req := mautrix.ReqUploadMedia{ContentLength: size, ContentType: content.Info.MimeType, FileName: name}
	var ef *attachment.EncryptedFile
	var enc io.ReadCloser
	if encrypted {
		// The server learns neither the type nor the name.
		ef = attachment.NewEncryptedFile()
		enc = ef.EncryptStream(pr)
		req.Content, req.ContentType, req.FileName = onlyReader{enc}, "application/octet-stream", ""
	} else {
		req.Content = onlyReader{pr}
	}
	if size == 0 {
		req.ContentBytes, req.Content = []byte{}, nil
	}
	resp, err := c.cli.UploadMedia(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("uploading %s: %w", name, ctx.Err())
		}
		return "", fmt.Errorf("uploading %s: %w", name, c.scrub(err))
	}
	if got := pr.done.Load(); got != size {
		return "", fmt.Errorf("uploading %s: the file changed while it was read (%d of %d bytes)", name, got, size)
	}
	if resp.ContentURI.IsEmpty() {
		return "", fmt.Errorf("uploading %s: the server gave no content URI", name)
	}
	if encrypted {
		// Close finishes the SHA-256 of the ciphertext; every Read is done
		// (pr.done was read atomically after the last one).
		if err := enc.Close(); err != nil {
			return "", fmt.Errorf("uploading %s: %w", name, err)
		}
		content.File = &event.EncryptedFileInfo{EncryptedFile: *ef, URL: resp.ContentURI.CUString()}
	} else {
		content.URL = resp.ContentURI.CUString()
	}
	if ctx.Err() != nil {
		return "", fmt.Errorf("uploading %s: %w", name, ctx.Err())
	}
	return c.queueMessage(roomID, content), nil
}

// onlyReader hides every method but Read, so the HTTP client neither
// closes nor seeks the stream behind it.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(b []byte) (int, error) { return o.r.Read(b) }

// fileContent is the message for a file: its msgtype, name, mimetype and
// size, and for an image its width and height.
func fileContent(f io.ReaderAt, name string, size int64) *event.MessageEventContent {
	mt := fileMimeType(f, name)
	c := &event.MessageEventContent{
		MsgType:  event.MsgFile,
		Body:     name,
		FileName: name,
		Info:     &event.FileInfo{MimeType: mt, Size: int(size)},
	}
	switch {
	case mt == "image/png" || mt == "image/jpeg" || mt == "image/gif" || mt == "image/webp":
		c.MsgType = event.MsgImage
		if cfg, _, err := image.DecodeConfig(io.NewSectionReader(f, 0, size)); err == nil && cfg.Width > 0 && cfg.Height > 0 {
			c.Info.Width, c.Info.Height = cfg.Width, cfg.Height
		}
	case strings.HasPrefix(mt, "audio/"):
		c.MsgType = event.MsgAudio
	case strings.HasPrefix(mt, "video/"):
		c.MsgType = event.MsgVideo
	}
	return c
}

// fileMimeType names a file's type by its extension, else by sniffing its
// first bytes as browsers do; application/octet-stream when neither knows.
func fileMimeType(f io.ReaderAt, name string) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	head := make([]byte, 512)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "application/octet-stream"
	}
	mt, _, err := mime.ParseMediaType(http.DetectContentType(head[:n]))
	if err != nil || mt == "text/plain" && n == 0 {
		return "application/octet-stream"
	}
	return mt
}
