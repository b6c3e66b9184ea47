package matrix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonSplitter walks the outer structure of a JSON stream (objects, key
// by key) and hands out the values inside whole, as raw bytes, without
// decoding them: finding where a value ends takes one pass over its bytes,
// several times faster than encoding/json's scanner. It checks the
// structure it walks; the values it hands out are checked by whoever
// decodes them (json.Unmarshal refuses invalid JSON).
type jsonSplitter struct {
	r   io.Reader
	buf []byte
	pos int   // the next unread byte of buf
	end int   // buf[pos:end] is unread
	err error // the reader's error once it gave one (io.EOF at the end)
}

// splitterStart is the splitter's first buffer: a live sync of a few
// messages fits it (a fresh 64 KB one for each showed in the trickle's
// profile); an initial sync doubles it within a few reads.
const splitterStart = 8 << 10

func newJSONSplitter(r io.Reader) *jsonSplitter {
	return &jsonSplitter{r: r, buf: make([]byte, splitterStart)}
}

// fill reads more input after what is unread; false when there is none.
func (s *jsonSplitter) fill() bool {
	if s.err != nil {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if err != nil {
		s.err = err
	}
	return n > 0 || err == nil
}

// readErr is the error for input that ended where more was needed.
func (s *jsonSplitter) readErr() error {
	if s.err == nil || errors.Is(s.err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return s.err
}

// peek skips white space and returns the next byte, not consuming it.
func (s *jsonSplitter) peek() (byte, error) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, nil
			}
		}
		if !s.fill() {
			return 0, s.readErr()
		}
	}
}

// expect consumes the next byte (after white space), which must be c.
func (s *jsonSplitter) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return fmt.Errorf("%q where %q belongs", got, c)
	}
	s.pos++
	return nil
}

// atEnd says whether only white space is left.
func (s *jsonSplitter) atEnd() bool {
	_, err := s.peek()
	return err == io.ErrUnexpectedEOF
}

// null consumes a null if one comes next.
func (s *jsonSplitter) null() (bool, error) {
	c, err := s.peek()
	if err != nil || c != 'n' {
		return false, err
	}
	v, err := s.value()
	if err != nil {
		return false, err
	}
	if string(v) != "null" {
		return false, fmt.Errorf("%q where a value belongs", v)
	}
	return true, nil
}

// object walks an object, calling member for each key with the splitter
// at the key's value, which member must consume (value, or object).
func (s *jsonSplitter) object(member func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c == '}' {
		s.pos++
		return nil
	}
	for {
		raw, err := s.value()
		if err != nil {
			return err
		}
		key, err := jsonKey(raw)
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		c, err := s.peek()
		if err != nil {
			return err
		}
		s.pos++
		switch c {
		case ',':
		case '}':
			return nil
		default:
			return fmt.Errorf("%q after an object member", c)
		}
	}
}

// jsonKey unquotes an object key as encoding/json does (the fast way
// when it is plain ASCII).
func jsonKey(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", fmt.Errorf("%.20q where a key belongs", raw)
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c < 0x20 || c >= 0x80 || c == '\\' || c == '"' {
			var k string
			if err := json.Unmarshal(raw, &k); err != nil {
				return "", fmt.Errorf("a key: %w", err)
			}
			return k, nil
		}
	}
	return string(raw[1 : len(raw)-1]), nil
}

// value returns the next value's bytes (a copy), consuming it. A value
// that goes on past what was read stays in the buffer, which grows to hold
// it, and is copied out once at its end: a room of an initial sync spans
// many reads, and gathering it by appends copied it several times over.
func (s *jsonSplitter) value() ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	start := s.pos
	depth, inString, escaped := 0, false, false
	scalar := c != '"' && c != '{' && c != '['
	i := s.pos
	for {
		if i == s.end {
			// fill moves buf[start:end] to the front.
			s.pos = start
			if !s.fill() {
				// The input ended: only a number, true, false or null
				// may end with it.
				if scalar && s.end > s.pos {
					v := bytes.Clone(s.buf[s.pos:s.end])
					s.pos = s.end
					return v, nil
				}
				return nil, s.readErr()
			}
			i -= start - s.pos
			start = s.pos
			continue
		}
		if inString && !escaped {
			// Most of a sync is strings: jump to the next quote or
			// backslash.
			i += stringRun(s.buf[i:s.end])
			if i == s.end {
				continue
			}
		}
		b := s.buf[i]
		i++
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
				if depth == 0 {
					s.pos = i
					return bytes.Clone(s.buf[start:i]), nil
				}
			}
		case scalar:
			switch b {
			case ',', '}', ']', ':', ' ', '\t', '\n', '\r', '"', '{', '[':
				i--
				s.pos = i
				if i == start {
					return nil, fmt.Errorf("%q where a value belongs", b)
				}
				return bytes.Clone(s.buf[start:i]), nil
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			if depth--; depth == 0 {
				s.pos = i
				return bytes.Clone(s.buf[start:i]), nil
			}
		}
	}
}

// stringRun is how many bytes of b, inside a string, come before its
// next quote or backslash (len(b): none).
func stringRun(b []byte) int {
	q := bytes.IndexByte(b, '"')
	if q < 0 {
		q = len(b)
	}
	if e := bytes.IndexByte(b[:q], '\\'); e >= 0 {
		return e
	}
	return q
}
