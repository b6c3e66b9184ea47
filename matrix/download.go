package matrix

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/crypto/attachment"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// authedMedia says whether to use the authenticated media endpoints,
// asking /versions once: spec v1.11, or the unstable flag
// org.matrix.msc3916.stable (Dendrite v0.13.8 has that). If /versions
// cannot be read, authenticated media is tried (and the legacy endpoint
// on refusal).
func (c *Client) authedMedia(ctx context.Context) bool {
	c.media.mu.Lock()
	defer c.media.mu.Unlock()
	if c.media.checked {
		return c.media.authed
	}
	v, err := c.cli.Versions(ctx)
	if err != nil {
		return true
	}
	c.media.checked, c.media.authed = true, v.Supports(mautrix.FeatureAuthenticatedMedia)
	return c.media.authed
}

// legacyMediaOnly records that the server refused the authenticated
// endpoints.
func (c *Client) legacyMediaOnly() {
	c.media.mu.Lock()
	c.media.checked, c.media.authed = true, false
	c.media.mu.Unlock()
}

// endpointMissing says whether err means the server has no such endpoint
// (rather than no such file): M_UNRECOGNIZED, or a 404/405 without a
// Matrix error code.
func endpointMissing(err error) bool {
	if respErrCode(err) == "M_UNRECOGNIZED" {
		return true
	}
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.Response != nil && he.RespError == nil {
		return he.Response.StatusCode == http.StatusNotFound || he.Response.StatusCode == http.StatusMethodNotAllowed
	}
	return false
}

// openMedia starts downloading mxc: authenticated media where the server
// offers it, else (or when it refuses the endpoint) the legacy one.
func (c *Client) openMedia(ctx context.Context, mxc id.ContentURI) (*http.Response, error) {
	get := func(u string) (*http.Response, error) {
		_, resp, err := c.cli.MakeFullRequestWithResp(ctx, mautrix.FullRequest{
			Method: http.MethodGet, URL: u, DontReadResponse: true,
		})
		if err != nil && resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		return resp, err
	}
	if c.authedMedia(ctx) {
		resp, err := get(c.cli.BuildURL(mautrix.ClientURLPath{"v1", "media", "download", mxc.Homeserver, mxc.FileID}))
		if err == nil || !endpointMissing(err) {
			return resp, err
		}
		c.legacyMediaOnly()
	}
	return get(c.cli.BuildURL(mautrix.MediaURLPath{"v3", "download", mxc.Homeserver, mxc.FileID}))
}

// Download writes the attachment of a file message (m.file, m.image,
// m.audio, m.video) to dst, streamed: the bytes pass through a small
// buffer, never held whole. An encrypted attachment is decrypted on the
// way and its SHA-256 checked at the end: ErrHashMismatch then means what
// was written is not the sender's file and must be thrown away
// (SaveAttachment deletes it). progress (may be nil) is told the bytes
// received. Cancelling ctx stops the transfer.
func (c *Client) Download(ctx context.Context, ev *event.Event, dst io.Writer, progress func(done, total int64)) error {
	if c.closed.Load() {
		return ErrClosed
	}
	a, err := AttachmentOf(ev)
	if err != nil {
		return err
	}
	resp, err := c.openMedia(ctx, a.URL)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", a.Name, c.scrub(err))
	}
	defer resp.Body.Close()
	total := resp.ContentLength
	if total <= 0 {
		total = a.Size
	}
	// A server sending more than it announced (or than the sender said)
	// is cut off there.
	var src io.Reader = resp.Body
	if resp.ContentLength > 0 {
		src = io.LimitReader(src, resp.ContentLength)
	}
	pr := &progressReader{r: src, total: max(total, 0), progress: progress}
	if !a.Encrypted() {
		if _, err := io.Copy(dst, pr); err != nil {
			return fmt.Errorf("downloading %s: %w", a.Name, err)
		}
		return nil
	}
	dec := a.File.DecryptStream(pr)
	if _, err := io.Copy(dst, dec); err != nil {
		return fmt.Errorf("downloading %s: %w", a.Name, err)
	}
	if err := dec.Close(); err != nil {
		if errors.Is(err, attachment.ErrHashMismatch) {
			return ErrHashMismatch
		}
		return fmt.Errorf("downloading %s: %w", a.Name, err)
	}
	return nil
}

// SaveAttachment downloads a file message's attachment to disk and
// returns where it went. dest "" means DownloadDir(); an existing
// directory gets the file under its sanitized name; anything else is the
// file's path. Nothing is ever overwritten: in a directory the name gets
// " (1)", " (2)"… and an explicit path that exists is an error. The file
// is written under a temporary name and only renamed into place once
// complete (and, when encrypted, its hash checked); on any failure or
// cancel the partial file is deleted.
func (c *Client) SaveAttachment(ctx context.Context, ev *event.Event, dest string, progress func(done, total int64)) (string, error) {
	a, err := AttachmentOf(ev)
	if err != nil {
		return "", err
	}
	if dest == "" {
		dest = DownloadDir()
	}
	dir, name := dest, a.Name
	if st, err := os.Stat(dest); err != nil || !st.IsDir() {
		if err == nil {
			return "", fmt.Errorf("saving %s: %s exists", a.Name, dest)
		}
		if dest == DownloadDir() {
			if err := os.MkdirAll(dest, 0o755); err != nil {
				return "", fmt.Errorf("saving %s: creating the download folder: %w", a.Name, err)
			}
		} else {
			dir, name = filepath.Dir(dest), filepath.Base(dest)
		}
	}
	tmp, err := os.CreateTemp(dir, ".termatrix-*.part")
	if err != nil {
		return "", fmt.Errorf("saving %s: %w", a.Name, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := c.Download(ctx, ev, bw, progress); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("saving %s: %w", a.Name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("saving %s: %w", a.Name, err)
	}
	final, err := placeFile(tmp.Name(), dir, name, dest == dir)
	if err != nil {
		return "", fmt.Errorf("saving %s: %w", a.Name, err)
	}
	ok = true
	return final, nil
}

// placeFile moves the finished tmp to dir/name without overwriting
// anything: a hard link fails when the name exists (no race with another
// writer); numbered says to try "name (1).ext", "name (2).ext"… then.
func placeFile(tmp, dir, name string, numbered bool) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		cand := name
		if i > 0 {
			cand = fmt.Sprintf("%s (%d)%s", stem, i, ext)
		}
		p := filepath.Join(dir, cand)
		err := os.Link(tmp, p)
		if err == nil {
			_ = os.Remove(tmp)
			return p, nil
		}
		if errors.Is(err, os.ErrExist) {
			if !numbered {
				return "", fmt.Errorf("%s exists", p)
			}
			continue
		}
		// No hard links here (some file systems): check, then rename.
		if _, serr := os.Lstat(p); serr == nil {
			if !numbered {
				return "", fmt.Errorf("%s exists", p)
			}
			continue
		}
		if err := os.Rename(tmp, p); err != nil {
			return "", err
		}
		return p, nil
	}
	return "", errors.New("too many files of that name")
}

// DownloadDir is where downloads go, as xdg-user-dir DOWNLOAD finds it:
// $XDG_DOWNLOAD_DIR, else XDG_DOWNLOAD_DIR in
// $XDG_CONFIG_HOME/user-dirs.dirs, else ~/Downloads.
func DownloadDir() string {
	if d := os.Getenv("XDG_DOWNLOAD_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	if b, err := os.ReadFile(filepath.Join(cfg, "user-dirs.dirs")); err == nil {
		if d := userDirsDownload(string(b), home); d != "" {
			return d
		}
	}
	return filepath.Join(home, "Downloads")
}

// userDirsDownload reads XDG_DOWNLOAD_DIR="$HOME/…" from a user-dirs.dirs
// file; only "$HOME/…" and absolute paths count, as xdg-user-dirs writes.
func userDirsDownload(file, home string) string {
	for _, line := range strings.Split(file, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || k != "XDG_DOWNLOAD_DIR" {
			continue
		}
		v = strings.Trim(v, `"`)
		switch {
		case v == "$HOME":
			return home
		case strings.HasPrefix(v, "$HOME/"):
			return filepath.Join(home, v[len("$HOME/"):])
		case strings.HasPrefix(v, "/"):
			return filepath.Clean(v)
		}
	}
	return ""
}
