package matrix

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// chunkSync is a sync of n joined rooms, each with a name and a message;
// the rooms listed in bad get content that is not an object, which the
// decoding refuses.
func chunkSync(n int, bad ...int) []byte {
	refuse := make(map[int]bool)
	for _, i := range bad {
		refuse[i] = true
	}
	var b strings.Builder
	b.WriteString(`{"next_batch":"s","rooms":{"join":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		content := fmt.Sprintf(`{"msgtype":"m.text","body":"hello %d"}`, i)
		if refuse[i] {
			content = `[1]`
		}
		fmt.Fprintf(&b, `"!r%03d:x":{"state":{"events":[{"type":"m.room.name","state_key":"","sender":"@a:x","event_id":"$n%d","content":{"name":"room %d"}}]},`+
			`"timeline":{"events":[{"type":"m.room.message","sender":"@a:x","event_id":"$m%d","origin_server_ts":%d,"content":%s}]}}`,
			i, i, i, i, i, content)
	}
	b.WriteString(`}}}`)
	return []byte(b.String())
}

// A chunk of many rooms decodes on several workers to exactly what one
// goroutine makes of it, and a failure names the first bad room in the
// chunk's order, as the one-goroutine decoding does.
func TestDecodeChunkOnWorkers(t *testing.T) {
	const n = 8 * minRoomsPerDecoder
	decode := func(t *testing.T, body []byte, workers bool) ([]syncRoom, error) {
		t.Helper()
		b, err := decodeSync(bytes.NewReader(body), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !workers {
			for i := range b.rooms {
				if err := b.rooms[i].decodeAndPrepare(); err != nil {
					return b.rooms, err
				}
			}
			return b.rooms, nil
		}
		return b.rooms, decodeChunk(b.rooms)
	}
	one, err := decode(t, chunkSync(n), false)
	if err != nil {
		t.Fatal(err)
	}
	many, err := decode(t, chunkSync(n), true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range one {
		a, b := one[i], many[i]
		if a.id != b.id || b.join == nil || len(b.join.Timeline.Events) != 1 {
			t.Fatalf("room %d: %s decoded as %+v", i, a.id, b.join)
		}
		if got, want := b.join.Timeline.Events[0].Content.AsMessage().Body, a.join.Timeline.Events[0].Content.AsMessage().Body; got != want {
			t.Errorf("room %s: message %q, one goroutine made %q", a.id, got, want)
		}
		if !bytes.Equal(encodedAt(b.encoded.timeline, 0), encodedAt(a.encoded.timeline, 0)) || !bytes.Equal(encodedAt(b.encoded.state, 0), encodedAt(a.encoded.state, 0)) {
			t.Errorf("room %s: encoded for the store differently", a.id)
		}
	}

	_, want := decode(t, chunkSync(n, 21, 90), false)
	_, got := decode(t, chunkSync(n, 21, 90), true)
	if want == nil || got == nil || got.Error() != want.Error() || !strings.Contains(got.Error(), "!r021:x") {
		t.Fatalf("with rooms 21 and 90 bad: workers said %v, one goroutine %v", got, want)
	}
}
