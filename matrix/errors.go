package matrix

import (
	"errors"
	"strconv"
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

// scrub hides secrets in an error: if any non-empty secret occurs in its
// text, the whole text is replaced by one made only of safe parts (the
// Matrix error code or HTTP status) and "details withheld". Cutting only
// the secret out would still tell it: a one-letter password leaves holes
// in every word that holds the letter, and one equal to the user name
// shows where the name was. The error chain stays for errors.Is and
// errors.As. It returns nil for nil.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			return &scrubbedError{msg: safeText(err) + " (details withheld: they held a secret)", err: err}
		}
	}
	return err
}

// safeText describes an error by what cannot hold a secret.
func safeText(err error) string {
	if errors.Is(err, mautrix.MForbidden) {
		return "the homeserver refused: wrong user name or password, or not allowed"
	}
	if code := respErrCode(err); code != "" {
		return "the homeserver answered " + code
	}
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		return "the homeserver answered HTTP " + strconv.Itoa(he.Response.StatusCode)
	}
	return "the request failed"
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
