package browser

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// QR draws text as a QR code in lines of half-block characters, two
// modules per character cell, with the quiet zone included. Light modules
// are drawn (foreground) and dark modules left blank (background), which
// reads correctly on a dark terminal; invert for a light one.
func QR(text string, invert bool) ([]string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("make QR code: %w", err)
	}
	bits := q.Bitmap() // true = dark
	lit := func(y, x int) bool {
		if y >= len(bits) {
			return !invert // below the last row: quiet zone, light
		}
		return bits[y][x] == invert
	}
	lines := make([]string, 0, (len(bits)+1)/2)
	for y := 0; y < len(bits); y += 2 {
		var b strings.Builder
		for x := range bits[y] {
			top, bottom := lit(y, x), lit(y+1, x)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteRune(' ')
			}
		}
		lines = append(lines, b.String())
	}
	return lines, nil
}
