package matrix

import (
	"encoding/json"
	"reflect"
	"testing"

	"maunium.net/go/mautrix/event"
)

// elementMessages are message contents as Element and termatrix send
// them: the fast path must read each itself.
var elementMessages = []string{
	`{"msgtype":"m.text","body":"hello"}`,
	`{"msgtype":"m.text","body":"hello","m.mentions":{}}`,
	`{"msgtype":"m.text","body":"hi @bob","format":"org.matrix.custom.html","formatted_body":"hi <a href=\"https://matrix.to/#/@bob:x\">bob</a>","m.mentions":{"user_ids":["@bob:x"]}}`,
	`{"msgtype":"m.emote","body":"waves","m.mentions":{"room":true}}`,
	`{"body":"caf\u00e9 \ud83d\ude00 naïve","msgtype":"m.notice"}`,
	` { "msgtype" : "m.text" , "body" : "" , "m.mentions" : { "user_ids" : [ ] , "room" : false } } `,
}

// otherMessages are left to encoding/json: keys the fast path does not
// read, a key twice, keys spelt in another case, values of other types.
var otherMessages = []string{
	`{"msgtype":"m.image","body":"a.png","url":"mxc://x/y","info":{"w":1}}`,
	`{"msgtype":"m.text","body":"> quote","m.relates_to":{"m.in_reply_to":{"event_id":"$e"}}}`,
	`{"msgtype":"m.text","body":"a","body":"b"}`,
	`{"msgtype":"m.text","Body":"a"}`,
	`{"msgtype":"m.text","body":1}`,
	`{"msgtype":"m.text","m.mentions":{"user_ids":[null]}}`,
	`{"msgtype":"m.text","m.mentions":[]}`,
	`null`, `[]`, `{"body":"x"} x`,
}

// TestMessageContentFastPath: Element's usual message contents are read
// by the fast path, the rest are not, and both give what mautrix's
// ParseRaw gives.
func TestMessageContentFastPath(t *testing.T) {
	for _, raw := range elementMessages {
		got, ok := parseMessageContent([]byte(raw))
		if !ok {
			t.Errorf("the fast path gave up on %s", raw)
			continue
		}
		if want := parseRawMessage(t, []byte(raw)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", raw, got, want)
		}
	}
	for _, raw := range otherMessages {
		if _, ok := parseMessageContent([]byte(raw)); ok {
			t.Errorf("the fast path read %s", raw)
		}
	}
	// prepareEvent takes the fast path for a message event, and the
	// content reads as mautrix's.
	ev := &event.Event{Type: event.EventMessage, Content: event.Content{VeryRaw: json.RawMessage(elementMessages[2])}}
	prepareEvent(ev, "!r:x")
	if m := ev.Content.AsMessage(); m.Body != "hi @bob" || m.Mentions == nil || len(m.Mentions.UserIDs) != 1 {
		t.Errorf("prepared message: %+v", m)
	}
}

// parseRawMessage is mautrix's reading of a message content.
func parseRawMessage(t testing.TB, raw []byte) *event.MessageEventContent {
	c := event.Content{VeryRaw: raw}
	if err := c.ParseRaw(event.EventMessage); err != nil {
		t.Fatalf("ParseRaw(%s): %v", raw, err)
	}
	m, _ := c.Parsed.(*event.MessageEventContent)
	return m
}

// FuzzMessageContent: whatever the fast path reads, it reads as mautrix
// does.
func FuzzMessageContent(f *testing.F) {
	for _, s := range append(append([]string{}, elementMessages...), otherMessages...) {
		f.Add([]byte(s))
	}
	f.Add([]byte("{\"body\":\"\xff\\u0000\"}"))
	f.Add([]byte(`{"m.mentions":null,"format":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := parseMessageContent(data)
		if !ok {
			return
		}
		c := event.Content{VeryRaw: data}
		if err := c.ParseRaw(event.EventMessage); err != nil {
			t.Fatalf("fast path accepted what mautrix refuses (%v):\n%q", err, data)
		}
		if want, _ := c.Parsed.(*event.MessageEventContent); !reflect.DeepEqual(got, want) {
			t.Fatalf("fast path differs for\n%q\ngot  %+v\nwant %+v", data, got, want)
		}
	})
}

// BenchmarkMessageContent compares the fast path with mautrix's ParseRaw
// on a plain message and on Element's HTML one with a mention.
func BenchmarkMessageContent(b *testing.B) {
	for _, c := range []struct{ name, raw string }{{"plain", elementMessages[1]}, {"html", elementMessages[2]}} {
		b.Run(c.name, func(b *testing.B) { benchMessageContent(b, []byte(c.raw)) })
	}
}

func benchMessageContent(b *testing.B, raw []byte) {
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := parseMessageContent(raw); !ok {
				b.Fatal("gave up")
			}
		}
	})
	b.Run("ParseRaw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := event.Content{VeryRaw: raw}
			if err := c.ParseRaw(event.EventMessage); err != nil {
				b.Fatal(err)
			}
		}
	})
}
