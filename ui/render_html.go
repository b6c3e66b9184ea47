package ui

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"
	"golang.org/x/net/html"

	"github.com/termatrix/termatrix/sanitize"
)

// maxHTMLDepth bounds the element nesting the HTML renderer follows.
const maxHTMLDepth = 64

// htmlWriter builds styled lines from a walk over an HTML tree.
type htmlWriter struct {
	lines  []Line
	cur    Line
	quote  int  // blockquote depth
	pre    bool // inside <pre>: keep whitespace
	osc8   bool
	atLine bool // nothing written on cur yet
}

// renderHTML renders a Matrix formatted_body (basic HTML) into lines: bold,
// italic, underline, strike, code, quotes, lists and links. Unknown tags
// keep their text; <mx-reply> fallbacks are dropped. Nil means nothing
// could be rendered, and the caller uses the plain body.
func renderHTML(src string, osc8 bool) []Line {
	nodes, err := html.ParseFragment(strings.NewReader(src), nil)
	if err != nil {
		return nil
	}
	w := &htmlWriter{osc8: osc8, atLine: true}
	for _, n := range nodes {
		w.walk(n, styleText, 0)
	}
	w.flush()
	// Drop leading and trailing empty lines.
	for len(w.lines) > 0 && w.lines[0].String() == "" {
		w.lines = w.lines[1:]
	}
	for len(w.lines) > 0 && w.lines[len(w.lines)-1].String() == "" {
		w.lines = w.lines[:len(w.lines)-1]
	}
	if len(w.lines) == 0 {
		return nil
	}
	return w.lines
}

func (w *htmlWriter) startLine() {
	if w.atLine && w.quote > 0 {
		w.cur = append(w.cur, Segment{strings.Repeat("▎ ", w.quote), styleQuote})
	}
	w.atLine = false
}

// text writes text in a style; newlines only survive inside <pre>.
func (w *htmlWriter) text(s string, style tcell.Style) {
	if !w.pre {
		s = collapseSpace(s)
		if w.atLine || w.endsInSpace() {
			s = strings.TrimLeft(s, " ")
		}
		if s == "" {
			return
		}
	}
	s = sanitize.Text(s)
	for i, part := range strings.Split(s, "\n") {
		if i > 0 {
			w.newline()
		}
		if part == "" {
			continue
		}
		w.startLine()
		w.cur = append(w.cur, Segment{part, style})
	}
}

// endsInSpace says whether the current line ends in a space.
func (w *htmlWriter) endsInSpace() bool {
	return len(w.cur) > 0 && strings.HasSuffix(w.cur[len(w.cur)-1].Text, " ")
}

// collapseSpace turns every run of white space into one space.
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

func (w *htmlWriter) newline() {
	w.startLine()
	w.lines = append(w.lines, w.cur)
	w.cur = nil
	w.atLine = true
}

// block ends the current line if it has anything on it.
func (w *htmlWriter) block() {
	if !w.atLine {
		w.newline()
	}
}

func (w *htmlWriter) flush() {
	if !w.atLine {
		w.newline()
	}
}

func (w *htmlWriter) children(n *html.Node, style tcell.Style, depth int) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, style, depth+1)
	}
}

func (w *htmlWriter) walk(n *html.Node, style tcell.Style, depth int) {
	if depth > maxHTMLDepth {
		return
	}
	switch n.Type {
	case html.TextNode:
		w.text(n.Data, style)
		return
	case html.ElementNode:
	default:
		w.children(n, style, depth)
		return
	}
	switch n.Data {
	case "mx-reply", "script", "style", "head", "title":
		return
	case "b", "strong":
		w.children(n, style.Bold(true), depth)
	case "i", "em":
		w.children(n, style.Italic(true), depth)
	case "u", "ins":
		w.children(n, style.Underline(true), depth)
	case "s", "del", "strike":
		w.children(n, style.StrikeThrough(true), depth)
	case "code":
		w.children(n, styleCode, depth)
	case "pre":
		w.block()
		w.pre = true
		w.children(n, styleCode, depth)
		w.pre = false
		w.block()
	case "br":
		w.newline()
	case "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "hr", "details", "summary":
		w.block()
		if strings.HasPrefix(n.Data, "h") && len(n.Data) == 2 {
			style = style.Bold(true)
		}
		if n.Data == "hr" {
			w.text("────────", styleDim)
		}
		w.children(n, style, depth)
		w.block()
	case "blockquote":
		w.block()
		w.quote++
		w.children(n, styleQuote, depth)
		w.block()
		w.quote--
	case "ul", "ol":
		w.block()
		num := 1
		if n.Data == "ol" {
			for _, a := range n.Attr {
				if a.Key == "start" {
					if v, err := strconv.Atoi(a.Val); err == nil && v >= 0 && v < 1_000_000 {
						num = v
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || c.Data != "li" {
				continue
			}
			bullet := "• "
			if n.Data == "ol" {
				bullet = strconv.Itoa(num) + ". "
				num++
			}
			w.block()
			w.text(bullet, styleDim)
			w.children(c, style, depth+1)
			w.block()
		}
	case "a":
		href := ""
		for _, a := range n.Attr {
			if a.Key == "href" {
				href = a.Val
			}
		}
		link := safeLink(href)
		if link == "" {
			w.children(n, style, depth)
			return
		}
		before := len(w.lines)*1_000_000 + len(w.cur)
		linkStyle := styleLink
		if w.osc8 {
			linkStyle = linkStyle.Url(link)
		}
		start := len(w.cur)
		w.children(n, linkStyle, depth)
		shown := ""
		if len(w.lines)*1_000_000+len(w.cur) != before && start <= len(w.cur) {
			for _, s := range w.cur[start:] {
				shown += s.Text
			}
		}
		if shown == "" {
			w.text(link, linkStyle)
		} else if showTarget(strings.TrimSpace(shown), link) {
			// The text may say one place and lead to another: say where.
			w.text(" <"+link+">", styleDim)
		}
	case "img":
		alt := ""
		for _, a := range n.Attr {
			if a.Key == "alt" || (alt == "" && a.Key == "title") {
				alt = a.Val
			}
		}
		w.text("[image: "+alt+"]", styleDim)
	case "span":
		for _, a := range n.Attr {
			if a.Key == "data-mx-spoiler" {
				w.text("[spoiler]", styleDim)
				return
			}
		}
		w.children(n, style, depth)
	default:
		w.children(n, style, depth)
	}
}

// looksLikeAddress matches text that reads as a URL or a domain name.
var looksLikeAddress = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://|www\.|[a-z0-9-]+\.[a-z]{2,})`)

// showTarget says whether a link's target must be shown after its text:
// always when they differ, since a terminal does not show where an OSC 8
// link leads, except for a user or room pill (a matrix.to link whose text
// is a name, not an address).
func showTarget(shown, link string) bool {
	if shown == link || strings.TrimSuffix(shown, "/") == strings.TrimSuffix(link, "/") {
		return false
	}
	if u, err := url.Parse(link); err == nil && u.Host == "matrix.to" && !looksLikeAddress.MatchString(shown) {
		return false
	}
	return true
}
