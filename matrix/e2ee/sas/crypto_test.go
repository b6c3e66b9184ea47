package sas

import (
	"encoding/base64"
	"testing"
	"unicode/utf8"
)

func TestEmojiTable(t *testing.T) {
	seen := map[string]bool{}
	for i, e := range EmojiTable {
		if e.Symbol == "" || e.Name == "" || !utf8.ValidString(e.Symbol) {
			t.Errorf("%d: %+v", i, e)
		}
		if seen[e.Name] || seen[e.Symbol] {
			t.Errorf("%d: %+v twice", i, e)
		}
		seen[e.Name], seen[e.Symbol] = true, true
	}
	// Spot checks against the specification's table.
	for i, want := range map[int]Emoji{0: {"🐶", "Dog"}, 21: {"☁️", "Cloud"}, 36: {"👍", "Thumbs Up"}, 41: {"💡", "Light Bulb"}, 53: {"✈️", "Aeroplane"}, 63: {"📌", "Pin"}} {
		if EmojiTable[i] != want {
			t.Errorf("%d: %+v, want %+v", i, EmojiTable[i], want)
		}
	}
}

func TestEmojiAndDecimals(t *testing.T) {
	var zero, ones [6]byte
	for i := range ones {
		ones[i] = 0xff
	}
	if got := emojiIndices(zero); got != [7]int{} {
		t.Errorf("zero: %v", got)
	}
	if got := emojiIndices(ones); got != [7]int{63, 63, 63, 63, 63, 63, 63} {
		t.Errorf("ones: %v", got)
	}
	// 0b000001 000010 000011 000100 000101 000110 000111 + 6 bits
	b := [6]byte{0x04, 0x20, 0xc4, 0x14, 0x61, 0xc0}
	if got := emojiIndices(b); got != [7]int{1, 2, 3, 4, 5, 6, 7} {
		t.Errorf("counting: %v", got)
	}
	if got := decimals(zero); got != [3]int{1000, 1000, 1000} {
		t.Errorf("zero: %v", got)
	}
	if got := decimals(ones); got != [3]int{9191, 9191, 9191} {
		t.Errorf("ones: %v", got)
	}
	// First 13 bits 1, next 13 bits 2, next 13 bits 3.
	d := [6]byte{0x00, 0x08, 0x00, 0x80, 0x06, 0}
	if got := decimals(d); got != [3]int{1001, 1002, 1003} {
		t.Errorf("counting: %v", got)
	}
}

func TestInfoStrings(t *testing.T) {
	got := sasInfo("@a:x", "A", "KA", "@b:x", "B", "KB", "txn")
	if want := "MATRIX_KEY_VERIFICATION_SAS|@a:x|A|KA|@b:x|B|KB|txn"; got != want {
		t.Errorf("SAS info %q", got)
	}
	got = macInfo("@a:x", "A", "@b:x", "B", "txn", "ed25519:A")
	if want := "MATRIX_KEY_VERIFICATION_MAC@a:xA@b:xBtxned25519:A"; got != want {
		t.Errorf("MAC info %q", got)
	}
}

func TestMACs(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	v2 := calcMAC(macV2, secret, "info", "input")
	if raw, err := base64.RawStdEncoding.DecodeString(v2); err != nil || len(raw) != 32 {
		t.Fatalf("v2 MAC %q", v2)
	}
	if !checkMAC(macV2, secret, "info", "input", v2) || !checkMAC(macV2, secret, "info", "input", v2+"=") {
		t.Error("v2 MAC does not check")
	}
	if checkMAC(macV2, secret, "info", "other", v2) || checkMAC(macV2, secret, "other", "input", v2) {
		t.Error("v2 MAC checks for other input")
	}
	v1 := calcMAC(macV1, secret, "info", "input")
	if len(v1) != 43 || v1 == v2 || v1[:4] != v2[:4] {
		t.Errorf("v1 MAC %q (v2 %q): the first group is intact, the rest not", v1, v2)
	}
	if !checkMAC(macV1, secret, "info", "input", v1) || checkMAC(macV1, secret, "info", "input", v2) {
		t.Error("v1 MAC check")
	}
}

// TestLibolmBase64 checks the in-place encoding against a plain encoding
// done by hand, group by group, on a buffer that is read and overwritten.
func TestLibolmBase64(t *testing.T) {
	in := make([]byte, 32)
	for i := range in {
		in[i] = byte(i*37 + 11)
	}
	got := libolmBase64(in)
	buf := make([]byte, 43)
	copy(buf, in)
	enc := base64.RawStdEncoding
	for g := 0; g < 10; g++ {
		enc.Encode(buf[4*g:4*g+4], append([]byte(nil), buf[3*g:3*g+3]...))
	}
	enc.Encode(buf[40:43], append([]byte(nil), buf[30:32]...))
	if got != string(buf) {
		t.Fatalf("libolm base64 %q, want %q", got, buf)
	}
	if got == enc.EncodeToString(in) {
		t.Fatal("libolm base64 equals the correct encoding")
	}
	if small := libolmBase64([]byte{1, 2, 3, 4}); small != enc.EncodeToString([]byte{1, 2, 3, 4})[:4]+small[4:] || len(small) != 6 {
		t.Errorf("4 bytes: %q", small)
	}
}

func TestCommitment(t *testing.T) {
	// SHA-256("abc") is the FIPS 180-2 test vector.
	got := commitment("a", []byte("bc"))
	want := base64.RawStdEncoding.EncodeToString([]byte{
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	})
	if got != want {
		t.Errorf("commitment %s, want %s", got, want)
	}
}
