package matrix

import (
	"encoding/json"
	"testing"
)

// FuzzUnescapeJSON: a JSON string the wire scanner accepts decodes as
// encoding/json decodes it.
func FuzzUnescapeJSON(f *testing.F) {
	for _, s := range []string{`"plain"`, `"a\nb\t\"q\" \\ \/ \b\f\r"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`,
		`"\ud83d"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, "\"\xff\xfe\"", "\"caf\xc3\xa9 \xef\xbf\xbd\"",
		`"<a href=\"https://matrix.to/#/@b:x\">b</a>"`, `"\u0000"`, `"\uD800\uDC00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := wireScan{data: data}
		if s.peek() != '"' {
			return
		}
		got, ok := s.string()
		if !ok || !s.end() {
			return
		}
		var want string
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("the scanner accepted %q, encoding/json refuses it: %v", data, err)
		}
		if got != want {
			t.Fatalf("%q: got %q, want %q", data, got, want)
		}
	})
}
