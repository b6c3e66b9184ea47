package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/ui/uitest"
)

// TestSecretPromptIsMasked: a masked prompt shows one * per character and
// never the text, hands it over on Enter, drops it on Esc, takes a pasted
// key (line break and all) as one line, and gives the keys back to the
// composer when it closes.
func TestSecretPromptIsMasked(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	got := make(chan string, 1)
	ask := func() {
		u.queue(func() {
			u.showDialog("test", newPrompt("Verify this session", []Line{plain("Enter the key.", styleText)}, "Recovery key:", true,
				func(s string) { got <- s }))
		})
		uitest.WaitFor(t, screen, "Recovery key:", 5*time.Second)
	}
	ask()
	uitest.Type(screen, "hunter2 secret")
	text := uitest.WaitFor(t, screen, "Recovery key: **************", 5*time.Second)
	if strings.Contains(text, "hunter2") {
		t.Fatalf("the secret is on the screen:\n%s", text)
	}
	enter := func() { screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone) }
	enter()
	select {
	case s := <-got:
		if s != "hunter2 secret" {
			t.Fatalf("prompt gave %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Enter did not submit")
	}
	uitest.WaitUntil(t, screen, "the prompt closes", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Recovery key:") })
	uitest.Type(screen, "back in the composer")
	uitest.WaitFor(t, screen, "back in the composer", 5*time.Second)
	onUI(t, u, func() { u.w.composer.SetText("", false) })

	// Esc drops what was typed.
	ask()
	uitest.Type(screen, "abc")
	uitest.WaitFor(t, screen, "Recovery key: ***", 5*time.Second)
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	uitest.WaitUntil(t, screen, "the prompt closes", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Recovery key:") })
	select {
	case s := <-got:
		t.Fatalf("Esc submitted %q", s)
	default:
	}

	// A pasted key with its line break goes in as one line, still masked.
	ask()
	screen.PostEvent(tcell.NewEventPaste(true))
	uitest.Type(screen, "EsTc abcd")
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	uitest.Type(screen, "efgh")
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	screen.PostEvent(tcell.NewEventPaste(false))
	text = uitest.WaitFor(t, screen, "Recovery key: **************", 5*time.Second)
	if strings.Contains(text, "EsTc") {
		t.Fatalf("the pasted key is on the screen:\n%s", text)
	}
	enter()
	select {
	case s := <-got:
		if s != "EsTc abcd efgh" {
			t.Fatalf("pasted key came as %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Enter did not submit the pasted key")
	}
}

// TestRecoveryKeyShownOnceAndCopied: the new recovery key is shown with
// the advice to store it, c copies it with OSC 52 without putting it in
// the status line, and neither Enter nor q closes it by accident: Esc does.
func TestRecoveryKeyShownOnceAndCopied(t *testing.T) {
	clip := &lockedBuffer{}
	u, screen := offlineUI(t, clip)
	const key = "EsTa 1bcd EFGH ijkm nopq rstu vwxy z234 5678 9ABC DEFG HJKL"
	u.queue(func() { u.showRecoveryKey(key) })
	text := uitest.WaitFor(t, screen, key, 5*time.Second)
	if !strings.Contains(text, "Store it somewhere safe") || !strings.Contains(text, "only this once") {
		t.Fatalf("no advice with the key:\n%s", text)
	}
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	screen.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	screen.InjectKey(tcell.KeyRune, 'c', tcell.ModNone)
	text = uitest.WaitFor(t, screen, "Recovery key copied to your terminal's clipboard (OSC 52).", 5*time.Second)
	if !strings.Contains(text, key) {
		t.Fatalf("Enter or q closed the key's dialog:\n%s", text)
	}
	if clip.String() != browser.OSC52(key) {
		t.Fatalf("clipboard got %q", clip.String())
	}
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	text = uitest.WaitUntil(t, screen, "the dialog closes", 5*time.Second, func(s string) bool { return !strings.Contains(s, "recovery key of your account") })
	if strings.Contains(text, "EsTa") {
		t.Fatalf("the key stays on the screen:\n%s", text)
	}
}

// TestHelpListsEncryptionCommands: /help names the encryption commands.
func TestHelpListsEncryptionCommands(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	u.queue(func() { screen.SetSize(150, 100) }) // the whole list, unscrolled
	u.queue(u.showHelp)
	text := uitest.WaitFor(t, screen, "/recovery", 5*time.Second)
	for _, want := range []string{"/crosssigning setup | reset", "/keys export FILE | import FILE", "/devices", "verify this session with the recovery key"} {
		if !strings.Contains(text, want) {
			t.Errorf("help lacks %q:\n%s", want, text)
		}
	}
}

// TestResetAndReplaceAskFirst: /crosssigning reset warns who must verify
// again before it asks for the password, n keeps everything, Enter does
// not confirm; an export onto an existing file asks before replacing it.
func TestResetAndReplaceAskFirst(t *testing.T) {
	u, screen := offlineUI(t, &lockedBuffer{})
	key := func(r rune) { screen.InjectKey(tcell.KeyRune, r, tcell.ModNone) }
	closed := func(what string) func(string) bool {
		return func(s string) bool { return !strings.Contains(s, what) }
	}
	u.queue(u.confirmReset)
	text := uitest.WaitFor(t, screen, "Reset cross-signing", 5*time.Second)
	if !strings.Contains(text, "everyone who verified you, must verify") {
		t.Fatalf("no warning before a reset:\n%s", text)
	}
	screen.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	key('n')
	text = uitest.WaitUntil(t, screen, "n closes the question", 5*time.Second, closed("Reset cross-signing"))
	if strings.Contains(text, "Password:") {
		t.Fatalf("Enter or n went on to the password:\n%s", text)
	}
	u.queue(u.confirmReset)
	uitest.WaitFor(t, screen, "Reset cross-signing", 5*time.Second)
	key('y')
	uitest.WaitFor(t, screen, "Password:", 5*time.Second)
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	uitest.WaitUntil(t, screen, "the password prompt closes", 5*time.Second, closed("Password:"))

	file := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(file, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.queue(func() { u.exportKeys(file) })
	uitest.WaitFor(t, screen, "Replace it with the export?", 5*time.Second)
	key('n')
	uitest.WaitUntil(t, screen, "n keeps the file", 5*time.Second, closed("Replace it"))
	u.queue(func() { u.exportKeys(file) })
	uitest.WaitFor(t, screen, "Replace it with the export?", 5*time.Second)
	key('y')
	uitest.WaitFor(t, screen, "Passphrase:", 5*time.Second)
	screen.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
	uitest.WaitUntil(t, screen, "the passphrase prompt closes", 5*time.Second, closed("Passphrase:"))
	if data, err := os.ReadFile(file); err != nil || string(data) != "precious" {
		t.Fatalf("the file changed: %q %v", data, err)
	}
}
