package matrix

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseAttachment(t *testing.T) {
	key := `{"k":"qcHVMSgYg-71CauWBezXI5qkaRb0LuIy-Wx5kIaHMIA","alg":"A256CTR","ext":true,"kty":"oct","key_ops":["encrypt","decrypt"]}`
	cases := []struct {
		raw, name string
		enc, ok   bool
	}{
		{`{"msgtype":"m.file","body":"a.txt","url":"mxc://hs/abc_-1"}`, "a.txt", false, true},
		{`{"msgtype":"m.image","body":"x","filename":"../../cat.png","url":"mxc://hs:8448/abc","info":{"size":-5}}`, "cat.png", false, true},
		{`{"msgtype":"m.file","body":"a","file":{"url":"mxc://hs/abc","key":` + key + `,"iv":"X85+XgHN+HEAAAAAAAAAAA","hashes":{"sha256":"MO1Yz2WGAPNK0Ug8W5dF2yXuIOd0JLwVG0G6MA4VOg4"},"v":"v2"}}`, "a", true, true},
		{`{"msgtype":"m.file","body":"a","file":{"url":"mxc://hs/abc","key":` + key + `,"iv":"X85+XgHN+HEAAAAAAAAAAA","hashes":{"sha256":"MO1Yz2WGAPNK0Ug8W5dF2yXuIOd0JLwVG0G6MA4VOg4"},"v":"v1"}}`, "", true, false},
		{`{"msgtype":"m.text","body":"a","url":"mxc://hs/abc"}`, "", false, false},
		{`{"msgtype":"m.file","body":"a","url":"mxc://hs/../../v3/x"}`, "", false, false},
		{`{"msgtype":"m.file","body":"a","url":"https://evil/x"}`, "", false, false},
		{`{"msgtype":"m.file","body":"a","url":"mxc://h s/abc"}`, "", false, false},
	}
	for _, c := range cases {
		a, err := ParseAttachment([]byte(c.raw))
		if (err == nil) != c.ok || (c.ok && (a.Name != c.name || a.Encrypted() != c.enc || a.Size < 0)) {
			t.Errorf("ParseAttachment(%s) = %+v, %v", c.raw, a, err)
		}
	}
}

func TestUserDirsDownload(t *testing.T) {
	file := "# comment\nXDG_DESKTOP_DIR=\"$HOME/Desktop\"\nXDG_DOWNLOAD_DIR=\"$HOME/Téléchargements\"\n"
	if got := userDirsDownload(file, "/home/u"); got != "/home/u/Téléchargements" {
		t.Fatalf("got %q", got)
	}
	if got := userDirsDownload(`XDG_DOWNLOAD_DIR="relative/x"`, "/home/u"); got != "" {
		t.Fatalf("relative: %q", got)
	}
}

func FuzzParseAttachment(f *testing.F) {
	f.Add([]byte(`{"msgtype":"m.file","body":"../a","url":"mxc://hs/abc"}`))
	f.Add([]byte(`{"msgtype":"m.image","file":{"url":"mxc://hs/abc","key":{"k":"x","alg":"A256CTR"},"iv":"y","v":"v2"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := ParseAttachment(raw)
		if err != nil {
			return
		}
		if a.Name == "" || strings.ContainsAny(a.Name, "/\\") || strings.HasPrefix(a.Name, ".") || a.Size < 0 {
			t.Fatalf("unsafe attachment %+v", a)
		}
		if !mxcServer.MatchString(a.URL.Homeserver) || !mxcMedia.MatchString(a.URL.FileID) {
			t.Fatalf("bad mxc passed: %v", a.URL)
		}
		_, _ = json.Marshal(a.File)
	})
}
