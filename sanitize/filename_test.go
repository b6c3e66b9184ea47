package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFileName(t *testing.T) {
	long := strings.Repeat("é", 6000) + ".jpg" // 12 KB
	cases := []struct{ in, want string }{
		{"cat.jpg", "cat.jpg"},
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\system32\cmd.exe`, "cmd.exe"},
		{"/etc/shadow", "shadow"},
		{"..", "download"},
		{".bashrc", "bashrc"},
		{"...hidden", "hidden"},
		{"", "download"},
		{"/", "download"},
		{"a\x1b[31mred\x07.txt", "a[31mred.txt"},
		{"evil\u202egpj.exe", "evilgpj.exe"},
		{"line\nbreak.txt", "line break.txt"},
		{"what?<x>:y|z*.txt", "what__x__y_z_.txt"},
		{"trailing. ", "trailing"},
		{"\x00\x01", "download"},
	}
	for _, c := range cases {
		if got := FileName(c.in); got != c.want {
			t.Errorf("FileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	got := FileName(long)
	if len(got) > MaxFileNameBytes || !strings.HasSuffix(got, ".jpg") || !utf8.ValidString(got) {
		t.Errorf("FileName(12 KB name) = %d bytes %q…", len(got), got[:20])
	}
}

// checkFileName fails when name is not safe to create in a directory.
func checkFileName(t *testing.T, in, name string) {
	t.Helper()
	switch {
	case name == "" || name == "." || name == "..":
		t.Fatalf("FileName(%q) = %q", in, name)
	case strings.ContainsAny(name, "/\\\x00"):
		t.Fatalf("FileName(%q) = %q has a path separator", in, name)
	case strings.HasPrefix(name, "."):
		t.Fatalf("FileName(%q) = %q is hidden", in, name)
	case len(name) > MaxFileNameBytes:
		t.Fatalf("FileName(%q) is %d bytes", in, len(name))
	case !utf8.ValidString(name):
		t.Fatalf("FileName(%q) = %q is not UTF-8", in, name)
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || Dropped(r) {
			t.Fatalf("FileName(%q) = %q keeps %U", in, name, r)
		}
	}
}

func FuzzFileName(f *testing.F) {
	for _, s := range []string{"cat.jpg", "../../etc/passwd", ".", "..", "a/b\\c", "\x1b]0;x\x07", "é.png", strings.Repeat("x", 300) + ".tar.gz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkFileName(t, in, FileName(in))
	})
}
