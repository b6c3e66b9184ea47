package matrix

import (
	"errors"
	"strings"

	"maunium.net/go/mautrix"
)

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("matrix client is closed")

// scrubbedError hides secrets in an error's text while keeping the error
// chain for errors.Is and errors.As.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrub returns err with every non-empty secret replaced by "[redacted]" in
// its text. It returns nil for nil.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// isUnknownToken says whether the server rejected the access token.
func isUnknownToken(err error) bool {
	return errors.Is(err, mautrix.MUnknownToken)
}

// respErrCode returns the Matrix errcode in err, or "".
func respErrCode(err error) string {
	var re mautrix.RespError
	if errors.As(err, &re) {
		return re.ErrCode
	}
	var rep *mautrix.RespError
	if errors.As(err, &rep) && rep != nil {
		return rep.ErrCode
	}
	return ""
}
