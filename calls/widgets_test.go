package calls

import (
	"testing"
)

// TestCustomWidgetURLIsRebuilt: a custom widget's URL goes to the browser
// rebuilt from its validated parts and percent-encoded (international
// host in its xn-- form, spaces, quotes and angle brackets encoded), and
// the widget list shows the host as it will be opened.
func TestCustomWidgetURLIsRebuilt(t *testing.T) {
	f := newFake("@me:example.org")
	op := newRecOpener(nil)
	c, ch := newTest(t, f, nil, op)
	c.AddWidget(room, `https://Bücher.example/a b?x="<y>"&u=$matrix_user_id#top 1`)
	nextEvent[Status](t, ch, nil)
	ws := c.Widgets(room)
	if len(ws) != 1 || ws[0].Host != "xn--bcher-kva.example" || ws[0].Suspicious {
		t.Fatalf("widgets %+v", ws)
	}
	c.OpenWidget(room, ws[0].ID)
	want := "https://xn--bcher-kva.example/a%20b?x=%22%3Cy%3E%22&u=%40me%3Aexample.org#top%201"
	if u := <-op.urls; u != want {
		t.Errorf("opened %s\nwant   %s", u, want)
	}
}
