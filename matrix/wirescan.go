package matrix

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// wireScan is the byte walker of the hand-written wire decoder
// (eventwire.go): it checks JSON as encoding/json's scanner does and
// gives up (false) on whatever it is not sure to read the same way.

// wireMaxDepth is encoding/json's limit on nesting.
const wireMaxDepth = 10000

// wireScan is a cursor over JSON held whole in memory. Its methods
// return false where the fast path gives up.
type wireScan struct {
	data []byte
	pos  int
	// slab holds the events of the room being read, lists where each
	// list's are (eventwire.go).
	slab  []wireEvent
	lists []wireList
}

// wirePlain marks the bytes a string holds as they are: not a quote, a
// backslash, a control character or a non-ASCII byte.
var wirePlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *wireScan) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (s *wireScan) peek() byte {
	s.ws()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// str consumes a string (s.pos at its quote) and returns its bytes
// between the quotes; plain: no escapes nor non-ASCII bytes in them.
func (s *wireScan) str() (body []byte, plain, ok bool) {
	d := s.data
	i := s.pos + 1
	plain = true
	for {
		for i < len(d) && wirePlain[d[i]] {
			i++
		}
		if i >= len(d) {
			return nil, false, false
		}
		switch c := d[i]; {
		case c == '"':
			body = d[s.pos+1 : i]
			s.pos = i + 1
			return body, plain, true
		case c < 0x20:
			return nil, false, false
		case c == '\\':
			plain = false
			if i+1 >= len(d) {
				return nil, false, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return nil, false, false
				}
				for _, h := range d[i+2 : i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return nil, false, false
					}
				}
				i += 6
			default:
				return nil, false, false
			}
		default: // non-ASCII
			plain = false
			i++
		}
	}
}

// string consumes a string and returns it as encoding/json decodes it.
func (s *wireScan) string() (string, bool) {
	body, plain, ok := s.str()
	if !ok {
		return "", false
	}
	if plain || utf8.Valid(body) && !containsByte(body, '\\') {
		return string(body), true
	}
	// Escapes, or invalid UTF-8 (which becomes U+FFFD).
	return unescapeJSON(body), true
}

// unescapeJSON decodes the bytes between a JSON string's quotes, checked
// by str already, as encoding/json decodes them: escapes resolved, a
// UTF-16 surrogate pair joined, a lone surrogate and each byte of invalid
// UTF-8 turned into U+FFFD.
func unescapeJSON(body []byte) string {
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\':
			e := body[i+1]
			i += 2
			switch e {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(body[i:])
				i += 4
				if utf16.IsSurrogate(r) {
					if i+6 <= len(body) && body[i] == '\\' && body[i+1] == 'u' {
						if pair := utf16.DecodeRune(r, hex4(body[i+2:])); pair != utf8.RuneError {
							out = utf8.AppendRune(out, pair)
							i += 6
							break
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default: // '"', '\\', '/'
				out = append(out, e)
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(body[i:])
			out = utf8.AppendRune(out, r)
			i += n
		}
	}
	return unsafeString(out) // out is this string's alone
}

// hex4 reads four hex digits (checked by str already) as a rune.
func hex4(b []byte) rune {
	var r rune
	for _, h := range b[:4] {
		switch {
		case h <= '9':
			r = r<<4 | rune(h-'0')
		case h <= 'F':
			r = r<<4 | rune(h-'A'+10)
		default:
			r = r<<4 | rune(h-'a'+10)
		}
	}
	return r
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// literal consumes word (true, false or null) if it comes next.
func (s *wireScan) literal(word string) bool {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return false
	}
	s.pos += len(word)
	return true
}

// number consumes a number as JSON spells it.
func (s *wireScan) number() bool {
	d, i := s.data, s.pos
	digits := func() bool {
		n := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	s.pos = i
	return true
}

// skip consumes one value, checking it; depth is how many arrays and
// objects hold it.
func (s *wireScan) skip(depth int) bool {
	switch s.peek() {
	case '{':
		return s.object(depth, func(string) bool { return s.skip(depth + 1) })
	case '[':
		return s.array(depth, func() bool { return s.skip(depth + 1) })
	case '"':
		_, _, ok := s.str()
		return ok
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

// raw consumes one value and returns its bytes.
func (s *wireScan) raw(depth int) ([]byte, bool) {
	s.ws()
	start := s.pos
	if !s.skip(depth) {
		return nil, false
	}
	return s.data[start:s.pos], true
}

// object consumes an object (s.pos at its brace), calling member with
// each key (plain ones only) and the cursor before its value, which
// member consumes.
func (s *wireScan) object(depth int, member func(key string) bool) bool {
	if depth+1 > wireMaxDepth {
		return false
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		key, plain, ok := s.str()
		if !ok || !plain || s.peek() != ':' {
			return false
		}
		s.pos++
		// A string conversion in a map lookup or comparison does not
		// allocate; member gets the bytes as a string without copying.
		if !member(unsafeString(key)) {
			return false
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return true
		default:
			return false
		}
	}
}

// array consumes an array (s.pos at its bracket), calling elem with the
// cursor before each element, which elem consumes.
func (s *wireScan) array(depth int, elem func() bool) bool {
	if depth+1 > wireMaxDepth {
		return false
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return true
		default:
			return false
		}
	}
}

// end says whether only white space is left.
func (s *wireScan) end() bool {
	s.ws()
	return s.pos == len(s.data)
}

// wireFields matches an object's keys to its fields, by index (at most
// 32), telling a key named twice (seen) and one encoding/json would take
// for a field although it is not spelled the same (case).
type wireFields []string

// field returns key's field index, -1 for a key encoding/json ignores
// too, and false where the fast path gives up.
func (f wireFields) field(key string, seen *uint32) (int, bool) {
	for i, name := range f {
		if key == name {
			if *seen&(1<<i) != 0 {
				return 0, false
			}
			*seen |= 1 << i
			return i, true
		}
	}
	for _, name := range f {
		if strings.EqualFold(key, name) {
			return 0, false
		}
	}
	return -1, true
}

// stringField consumes a string (or null, which leaves *to as it is).
func (s *wireScan) stringField(to *string) bool {
	switch s.peek() {
	case '"':
		v, ok := s.string()
		*to = v
		return ok
	case 'n':
		return s.literal("null")
	}
	return false
}

// stringPtrField consumes a string or null (nil) into a pointer.
func (s *wireScan) stringPtrField(to **string) bool {
	switch s.peek() {
	case '"':
		v, ok := s.string()
		*to = &v
		return ok
	case 'n':
		*to = nil
		return s.literal("null")
	}
	return false
}

// intField consumes an integer as encoding/json decodes it into an int64.
func (s *wireScan) intField(to *int64) bool {
	switch c := s.peek(); {
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		start := s.pos
		if !s.number() {
			return false
		}
		n, err := strconv.ParseInt(unsafeString(s.data[start:s.pos]), 10, 64)
		*to = n
		return err == nil
	}
	return false
}

// boolField consumes true, false or null (no change).
func (s *wireScan) boolField(to *bool) bool {
	switch s.peek() {
	case 't':
		*to = true
		return s.literal("true")
	case 'f':
		*to = false
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return false
}

// jsonField consumes a value and decodes it with encoding/json (fields
// that are rare or that mautrix decodes itself).
func (s *wireScan) jsonField(depth int, to any) bool {
	raw, ok := s.raw(depth)
	return ok && json.Unmarshal(raw, to) == nil
}

// unsafeString is b as a string without copying, for lookups and
// comparisons that do not keep it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
