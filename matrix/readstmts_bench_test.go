package matrix

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"maunium.net/go/mautrix/event"
)

// BenchmarkStateEventEveryRoom is what a start asks of the store for the
// calls: our call membership in every room (two state keys; here 100
// rooms of a synthetic account, none in a call), each lookup prepared
// once (readStmts) instead of compiled at every call.
func BenchmarkStateEventEveryRoom(b *testing.B) {
	c, err := Open(context.Background(), offlineSession(), filepath.Join(b.TempDir(), "store.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	sb, err := decodeSync(bytes.NewReader(syntheticSync(b, benchShape)), c.spillDir, syncKeepBytes)
	if err != nil {
		b.Fatal(err)
	}
	c.writeMu.Lock()
	err = c.applyBatchLocked(context.Background(), sb, "", func([]Update) {})
	c.writeMu.Unlock()
	sb.close()
	if err != nil {
		b.Fatal(err)
	}
	rooms := c.Rooms()
	callMember := event.NewEventType("org.matrix.msc3401.call.member")
	b.ResetTimer()
	for b.Loop() {
		for _, r := range rooms {
			for _, k := range []string{"_@me:example.org_DEV", "@me:example.org_DEV"} {
				c.StateEvent(r.ID, callMember, k)
			}
		}
	}
}
