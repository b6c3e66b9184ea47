package sanitize

import (
	"strings"
	"unicode/utf8"
)

// MaxFileNameBytes caps a file name made by FileName, in bytes: most file
// systems allow 255, and room is left for a " (12)" suffix and the
// temporary ".part" name a download is written under.
const MaxFileNameBytes = 200

// fallbackFileName is FileName's answer when nothing usable is left.
const fallbackFileName = "download"

// FileName makes a remote file name (an attachment's body or filename)
// safe to create in a directory: only its last path element counts (no
// "/" or "\" survives, so it cannot climb out), control and spoofing
// characters go (as Line removes them), leading dots and spaces go (no
// hidden files, no "." or ".."), characters Windows and many tools choke on
// (`<>:"|?*`) become "_", and it is cut to MaxFileNameBytes at a character
// boundary, keeping a short extension. An empty result becomes "download".
// It never panics, whatever the input.
func FileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = Line(name)
	name = strings.Map(func(r rune) rune {
		switch r {
		case '<', '>', ':', '"', '|', '?', '*':
			return '_'
		case '/', '\\', 0:
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ". \u00a0")
	name = strings.TrimRight(name, ". ")
	name = strings.TrimLeft(cutName(name, MaxFileNameBytes), ". ")
	if name == "" {
		return fallbackFileName
	}
	return name
}

// cutName cuts name to at most max bytes at a rune boundary, keeping an
// extension of up to 16 bytes.
func cutName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
		name, ext = name[:i], name[i:]
	}
	keep := max - len(ext)
	for keep > 0 && !utf8.RuneStart(name[keep]) {
		keep--
	}
	return strings.TrimRight(name[:keep], ". ") + ext
}
