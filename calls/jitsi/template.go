package jitsi

import (
	"errors"
	"strings"
)

// MaxURLLength bounds any URL this package builds, so a hostile template
// that repeats a placeholder thousands of times cannot blow up memory.
const MaxURLLength = 16 << 10

// ErrTooLong says a filled-in URL template grew past MaxURLLength.
var ErrTooLong = errors.New("widget URL is too long")

// Var is one template variable: every "$"+Key in a template is replaced by
// EncodeURIComponent(Value).
type Var struct {
	Key   string
	Value string
}

// FillTemplate substitutes vars into tmpl in order, as matrix-widget-api's
// runTemplate does: plain substring replacement of "$"+key, with no word
// boundaries, each value encoded with EncodeURIComponent. Because every
// value is encoded, '$' becomes %24 and a value can never create a new
// placeholder, '&' or '#'. Vars with an empty key are skipped (they would
// match every '$'). A placeholder with no variable stays as literal text.
func FillTemplate(tmpl string, vars []Var) (string, error) {
	if len(tmpl) > MaxURLLength {
		return "", ErrTooLong
	}
	out := tmpl
	for _, v := range vars {
		if v.Key == "" {
			continue
		}
		ph := "$" + v.Key
		n := strings.Count(out, ph)
		if n == 0 {
			continue
		}
		enc := EncodeURIComponent(v.Value)
		if len(out)+n*(len(enc)-len(ph)) > MaxURLLength {
			return "", ErrTooLong
		}
		out = strings.ReplaceAll(out, ph, enc)
	}
	return out, nil
}
