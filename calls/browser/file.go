package browser

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"

	pkgbrowser "github.com/pkg/browser"

	"github.com/termatrix/termatrix/internal/childenv"
)

// viewable are the file types a saved attachment may be handed to the
// system to show, by the extension the caller gives the file (from its
// media type): kinds that viewers display and never run. Anything else
// (a .desktop file, a script, an archive) is only saved: xdg-open runs
// some kinds rather than showing them.
var viewable = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"application/pdf": ".pdf",
	"audio/ogg":       ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/wav": ".wav", "audio/webm": ".weba",
	"video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov",
	"text/plain": ".txt",
}

// ViewableExt returns the extension a file of the media type must carry to
// be opened (OpenFile), or "" when files of that type are only saved.
func ViewableExt(mimeType string) string {
	mt, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(mimeType)), ";")
	return viewable[strings.TrimSpace(mt)]
}

// OpenFile shows a saved file, under the rules of Open (never over SSH,
// without a display only with a configured command): the configured
// browser command or $BROWSER gets it as a file:// URL (a browser shows,
// never runs, a file), else the system opener gets the path. Only a file
// whose extension ViewableExt allows is opened.
func (s *System) OpenFile(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return &NotLaunchedError{Reason: fmt.Sprintf("no such file: %v", err)}
	}
	ext := strings.ToLower(filepath.Ext(abs))
	ok := false
	for _, e := range viewable {
		if e == ext {
			ok = true
		}
	}
	if !ok {
		return &NotLaunchedError{Reason: "files of this kind are saved, not opened"}
	}
	if r := s.Reason(); r != "" {
		return &NotLaunchedError{Reason: r}
	}
	fileURL := (&url.URL{Scheme: "file", Path: abs}).String()
	if tried, err := s.runConfigured(ctx, fileURL); tried {
		return err
	}
	if s.needsDisplay() {
		if _, err := exec.LookPath("xdg-open"); err != nil {
			return &NotLaunchedError{Reason: "xdg-open is not installed"}
		}
		return s.run(ctx, []string{"xdg-open", abs})
	}
	childenv.Scrub()
	quietPkgBrowser()
	if err := pkgbrowser.OpenFile(abs); err != nil {
		return &NotLaunchedError{Reason: fmt.Sprintf("the system opener failed: %v", err)}
	}
	return nil
}
