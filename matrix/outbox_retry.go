package matrix

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"maunium.net/go/mautrix"
)

// Retry timing of queued messages: the wait after the n-th failed attempt
// in a row is sendRetryMin doubling up to sendRetryMax, unless the server
// asked for more (429 retry_after_ms) or the connection comes back first.
const (
	sendRetryMin = 500 * time.Millisecond
	sendRetryMax = 30 * time.Second
	// sendSettle is how long after a sync requested after the failure an
	// unsure retry waits for the event to show up in sync before it is
	// sent again (see waitRetry): a restarted Dendrite may take seconds to
	// pass on an event it stored before it died.
	sendSettle = 3 * time.Second
	// sendAttemptTimeout bounds one attempt (encrypting and the PUT).
	sendAttemptTimeout = 20 * time.Second
)

// transientSendError says whether a failed attempt at sending a message
// may succeed if tried again unchanged: no answer (network error, closed
// connection, timeout), a server or gateway error (5xx), 408, or a rate
// limit (429). Any other answer from the server (4xx: M_FORBIDDEN,
// M_TOO_LARGE, M_BAD_JSON...) and a message that cannot be encrypted are
// permanent: retrying the same request gets the same refusal.
func transientSendError(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var he mautrix.HTTPError
	if errors.As(err, &he) {
		if he.Response == nil {
			return true // no answer at all
		}
		return transientStatus(he.Response.StatusCode)
	}
	var re mautrix.RespError
	if errors.As(err, &re) && re.StatusCode != 0 {
		return transientStatus(re.StatusCode)
	}
	if respErrCode(err) == mautrix.MLimitExceeded.ErrCode {
		return true
	}
	return false
}

// transientStatus says whether an HTTP status may pass on its own.
func transientStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

// retryAfter returns how long a 429 asked to wait (retry_after_ms in the
// body, else the Retry-After header), or 0.
func retryAfter(err error) time.Duration {
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.Response == nil || he.Response.StatusCode != http.StatusTooManyRequests {
		return 0
	}
	if he.RespError != nil {
		if ms, ok := he.RespError.ExtraData["retry_after_ms"].(float64); ok && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	if s, err := strconv.Atoi(he.Response.Header.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// sendRetryWait is the wait after the n-th failed attempt in a row
// (n >= 1) that failed with err.
func sendRetryWait(err error, n int) time.Duration {
	d := sendRetryMin
	for i := 1; i < n && d < sendRetryMax; i++ {
		d *= 2
	}
	d = min(d, sendRetryMax)
	if ra := retryAfter(err); ra > d {
		d = min(ra, 5*time.Minute)
	}
	return d
}
