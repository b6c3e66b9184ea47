package e2ee

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"maunium.net/go/mautrix/crypto/utils"
)

// ErrNotRecoveryKey says a text is not a recovery key (it may be a
// passphrase).
var ErrNotRecoveryKey = errors.New("not a recovery key")

// NormalizeRecoveryKey accepts a recovery key as users hand it over:
// Element shows and saves it as groups of four characters with spaces,
// people paste it with line breaks or without spaces. It returns the key
// in Element's grouped form, or ErrNotRecoveryKey when the text does not
// decode as one (a wrong character or parity).
func NormalizeRecoveryKey(s string) (string, error) {
	compact := strings.Join(strings.Fields(s), "")
	if compact == "" || utils.DecodeBase58RecoveryKey(compact) == nil {
		return "", ErrNotRecoveryKey
	}
	var b strings.Builder
	for i := 0; i < len(compact); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(compact[i:min(i+4, len(compact))])
	}
	return b.String(), nil
}

// maxRecoveryFile bounds what ReadRecoveryKeyFile reads: a key is 59
// characters, a passphrase rarely more than a few hundred.
const maxRecoveryFile = 4096

// ReadRecoveryKeyFile reads a recovery key (or passphrase) from a file as
// Element's "Download" saves it: no trailing newline, but one is fine.
// A file readable by others is refused, as ssh refuses such keys. The
// error never quotes the file's content.
func ReadRecoveryKeyFile(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("reading the recovery key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("reading the recovery key: %s is not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("reading the recovery key: %s can be read by other users (mode %#o): chmod 600 it first", path, st.Mode().Perm())
	}
	if st.Size() > maxRecoveryFile {
		return "", fmt.Errorf("reading the recovery key: %s is too large for a key (%d bytes)", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return "", fmt.Errorf("reading the recovery key: %w", err)
		}
		return "", fmt.Errorf("reading the recovery key from %s: %w", path, err)
	}
	s := strings.TrimRight(string(data), "\r\n")
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("reading the recovery key: %s is empty", path)
	}
	return s, nil
}
