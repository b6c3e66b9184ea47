package e2ee

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"maunium.net/go/mautrix/crypto"
	"maunium.net/go/mautrix/crypto/olm"
	"maunium.net/go/mautrix/crypto/ssss"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

func TestClassify(t *testing.T) {
	content := &event.EncryptedEventContent{SessionID: "S", SenderKey: "K", DeviceID: "DEV"}
	for _, tc := range []struct {
		err  error
		kind FailureKind
	}{
		{crypto.ErrNoSessionFound, Waiting},
		{fmt.Errorf("wrapped: %w", olm.ErrUnknownMessageIndex), Waiting},
		{fmt.Errorf("%w (m.unverified)", crypto.ErrGroupSessionWithheld), Withheld},
		{crypto.ErrDuplicateMessageIndex, Broken},
		{crypto.ErrWrongRoom, Broken},
		{errors.New("anything else"), Broken},
	} {
		f := Classify(tc.err, content)
		if f.Kind != tc.kind || f.SessionID != "S" || f.Device != "DEV" {
			t.Errorf("Classify(%v) = %+v, want kind %s", tc.err, f, tc.kind)
		}
		if f.Retryable() != (tc.kind != Broken) {
			t.Errorf("%s: Retryable %v", tc.kind, f.Retryable())
		}
	}
}

func TestFailureText(t *testing.T) {
	for _, tc := range []struct {
		f    Failure
		want string
	}{
		{Failure{Kind: Waiting, Device: "ABC"}, "Unable to decrypt: waiting for the key from alice's device ABC"},
		{Failure{Kind: Waiting}, "Unable to decrypt: waiting for the key from alice's device"},
		{Failure{Kind: Withheld, Code: event.RoomKeyWithheldUnverified},
			"Unable to decrypt: the sender's device did not share the key with this session: this session is not verified"},
		{Failure{Kind: Withheld, Code: event.RoomKeyWithheldBlacklisted}, "this session is blocked"},
		{Failure{Kind: Withheld, Code: "x.custom", Reason: "because\nI said so"}, "because I said so"},
		{Failure{Kind: Withheld, Code: "x.custom"}, "no reason given (x.custom)"},
		{Failure{Kind: Broken, Err: "duplicate megolm message index"}, "Unable to decrypt: duplicate megolm message index"},
	} {
		if got := tc.f.Text("alice"); !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q in it", tc.f, got, tc.want)
		}
	}
	long := Failure{Kind: Withheld, Code: "x", Reason: strings.Repeat("a", 10000)}
	if n := len(long.Text("alice")); n > 300 {
		t.Errorf("a withheld reason of 10000 bytes gives a %d-byte line", n)
	}
}

// validKey returns a real recovery key in Element's grouped form.
func validKey(t *testing.T) string {
	t.Helper()
	k, err := ssss.NewKey("")
	if err != nil {
		t.Fatal(err)
	}
	return k.RecoveryKey()
}

func TestNormalizeRecoveryKey(t *testing.T) {
	key := validKey(t)
	compact := strings.ReplaceAll(key, " ", "")
	for _, in := range []string{key, compact, key + "\n", "  " + compact[:20] + "\n" + compact[20:] + "  "} {
		got, err := NormalizeRecoveryKey(in)
		if err != nil || got != key {
			t.Errorf("NormalizeRecoveryKey(%q) = %q, %v; want %q", in, got, err, key)
		}
	}
	// The key with its last character changed (to one it is not: a
	// random key ends in "1" once in 58 runs).
	last := "1"
	if strings.HasSuffix(compact, last) {
		last = "2"
	}
	for _, bad := range []string{"", "correct horse battery staple", compact[:len(compact)-1] + last, strings.Repeat("E", 48)} {
		if _, err := NormalizeRecoveryKey(bad); !errors.Is(err, ErrNotRecoveryKey) {
			t.Errorf("NormalizeRecoveryKey(%q): %v, want ErrNotRecoveryKey", bad, err)
		}
	}
}

func TestReadRecoveryKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := validKey(t)
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// As Element's "Download" saves it: no newline; with one too.
	for _, content := range []string{key, key + "\n", key + "\r\n"} {
		got, err := ReadRecoveryKeyFile(write("k", content, 0o600))
		if err != nil || got != key {
			t.Errorf("%q: got %q, %v", content, got, err)
		}
	}
	if _, err := ReadRecoveryKeyFile(write("open", key, 0o644)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable key file: %v", err)
	}
	if _, err := ReadRecoveryKeyFile(write("empty", "\n", 0o600)); err == nil {
		t.Error("an empty key file was accepted")
	}
	_, err := ReadRecoveryKeyFile(write("big", strings.Repeat("x", 5000), 0o600))
	if err == nil || strings.Contains(err.Error(), "xxxx") {
		t.Errorf("a huge file: %v (must fail without quoting it)", err)
	}
	if _, err := ReadRecoveryKeyFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file was accepted")
	}
}

// FuzzNormalizeRecoveryKey feeds remote-ish text (pasted keys) through the
// recovery key parser: it never panics, and what it accepts it returns in
// a form it accepts again unchanged.
func FuzzNormalizeRecoveryKey(f *testing.F) {
	f.Add("EsTc 5rr1 4Jhp Uc18 hwCn 2b9T LSvj 5h4T TkP8 bdeK JGTa")
	f.Add("")
	f.Add(" \n\t")
	f.Add("EsTc\x00")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeRecoveryKey(s)
		if err != nil {
			return
		}
		again, err := NormalizeRecoveryKey(got)
		if err != nil || again != got {
			t.Fatalf("%q normalised to %q, which normalises to %q, %v", s, got, again, err)
		}
	})
}

// FuzzFailureText checks the placeholder line for any withheld code and
// reason: one line, bounded, never empty.
func FuzzFailureText(f *testing.F) {
	f.Add("m.unverified", "", "DEV")
	f.Add("x.y", "a\nb\x1b[31m", "")
	f.Fuzz(func(t *testing.T, code, reason, device string) {
		for _, kind := range []FailureKind{Waiting, Withheld, Broken} {
			fl := Failure{Kind: kind, Code: event.RoomKeyWithheldCode(code), Reason: reason, Device: id.DeviceID(device)}
			txt := fl.Text("bob")
			if txt == "" || (kind == Withheld && strings.ContainsAny(WithheldText(fl.Code, reason), "\n\r")) {
				t.Fatalf("%+v: %q", fl, txt)
			}
		}
	})
}
