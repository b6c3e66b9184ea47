package browser

import "encoding/base64"

// OSC52 returns the OSC 52 sequence that asks the user's terminal to put
// text on its clipboard: ESC ] 52 ; c ; <base64> BEL. It works through
// SSH because the local terminal interprets it.
func OSC52(text string) string {
	return "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\a"
}
