package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/internal/synthhs"
)

// applyStreamed stores an initial /sync read from r as syncOnce does: the
// early rooms while r is read, the rest after (to-device aside).
func applyStreamed(ctx context.Context, t testing.TB, c *Client, r io.Reader) error {
	t.Helper()
	early := c.startEarlyStore(ctx, "", nil)
	b, err := decodeSyncEarly(r, t.TempDir(), 8<<10, early)
	if err != nil {
		return err
	}
	defer b.close()
	if err := early.finish(b); err != nil {
		return err
	}
	return c.applyAndPublish(ctx, b, "", nil)
}

// wholeSnapshot is the store a body stored at once ends as (for
// offlineSession's user unless sess).
func wholeSnapshot(t testing.TB, body []byte, sess ...*Session) storeSnapshot {
	t.Helper()
	s := offlineSession()
	if len(sess) > 0 {
		s = sess[0]
	}
	whole, _ := openTemp(t, s, Options{})
	if _, err := applyRaw(context.Background(), t, whole, body, "", 0); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, whole)
}

// streamed feeds a body to applyStreamed through a pipe, as a network
// would: the returned writer gives it more, errc its result.
func streamed(t testing.TB, c *Client) (*io.PipeWriter, <-chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- applyStreamed(context.Background(), t, c, pr) }()
	t.Cleanup(func() { _ = pw.CloseWithError(errors.New("test over")) })
	return pw, errc
}

// waitRooms waits until a RoomsChanged lists at least one room.
func waitRooms(t testing.TB, rec *recorder) RoomsChanged {
	t.Helper()
	return rec.waitFor(t, time.Minute, "rooms stored", func(u Update) bool {
		rc, ok := u.(RoomsChanged)
		return ok && rc.Rooms.Len() > 0
	}).(RoomsChanged)
}

// The plaintext rooms of an initial sync are stored and published while
// its body still downloads; the rest and next_batch come with its end,
// and the store ends as one stored at once (DMs told by the m.direct that
// came before the rooms).
func TestInitialSyncStoresRoomsWhileDownloading(t *testing.T) {
	body := syntheticSync(t, synthhs.Shape{Rooms: 30, EventsPerRoom: 20, MembersPerRoom: 4, DMEvery: 4, Seed: 7})
	if a, r := bytes.Index(body, []byte(`"account_data"`)), bytes.Index(body, []byte(`"rooms"`)); a < 0 || a > r {
		t.Fatal("the synthetic homeserver writes rooms before account_data")
	}
	want := wholeSnapshot(t, body)

	c, _ := openTemp(t, offlineSession(), Options{})
	c.chunkBytes = len(body) / 7
	rec := record(t, c)
	pw, errc := streamed(t, c)
	cut := len(body) * 2 / 3
	if _, err := pw.Write(body[:cut]); err != nil {
		t.Fatal(err)
	}
	rc := waitRooms(t, rec)
	select {
	case err := <-errc:
		t.Fatalf("the sync ended (%v) before its body did", err)
	default:
	}
	if rc.Rooms.Len() >= len(want.rooms) {
		t.Fatalf("%d of %d rooms published before the body ended", rc.Rooms.Len(), len(want.rooms))
	}
	for _, r := range rc.Rooms.All() {
		if !bytes.Contains(body[:cut], []byte(`"`+r.ID+`"`)) {
			t.Fatalf("room %s published before it was read", r.ID)
		}
	}
	if next := snapshot(t, c).next; next != "" {
		t.Fatalf("next_batch %q stored before the body ended", next)
	}
	dms := 0
	for _, r := range c.Rooms() {
		if r.IsDM {
			dms++
		}
	}
	t.Logf("%d rooms (%d DMs) stored with %d of %d bytes read", len(c.Rooms()), dms, cut, len(body))

	if _, err := pw.Write(body[cut:]); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	compareSnapshots(t, snapshot(t, c), want)
}

// syncOf writes an initial /sync: account data (if any, before the rooms
// unless after), then the joined rooms in the order given (a room may
// come twice), then leave.
func syncOf(accountData string, after bool, join [][2]string, leave string) []byte {
	var b strings.Builder
	b.WriteString(`{"next_batch":"s9"`)
	if accountData != "" && !after {
		b.WriteString(`,"account_data":` + accountData)
	}
	b.WriteString(`,"rooms":{"join":{`)
	for i, r := range join {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + r[0] + `":` + r[1])
	}
	b.WriteString(`}`)
	if leave != "" {
		b.WriteString(`,"leave":` + leave)
	}
	b.WriteString(`}`)
	if accountData != "" && after {
		b.WriteString(`,"account_data":` + accountData)
	}
	b.WriteString(`}`)
	return []byte(b.String())
}

// plainRooms are the joined rooms of a synthetic initial sync, raw.
func plainRooms(t testing.TB, shape synthhs.Shape) (accountData string, rooms [][2]string) {
	t.Helper()
	var s struct {
		AccountData json.RawMessage `json:"account_data"`
		Rooms       struct {
			Join map[id.RoomID]json.RawMessage `json:"join"`
		} `json:"rooms"`
	}
	if err := json.Unmarshal(syntheticSync(t, shape), &s); err != nil {
		t.Fatal(err)
	}
	for _, roomID := range sortedKeys(s.Rooms.Join) {
		rooms = append(rooms, [2]string{string(roomID), string(s.Rooms.Join[roomID])})
	}
	return string(s.AccountData), rooms
}

const encryptedRoomJSON = `{"state":{"events":[{"type":"m.room.encryption","state_key":"","sender":"@a:x","event_id":"$cfg","origin_server_ts":1,"content":{"algorithm":"m.megolm.v1.aes-sha2"}}]},
 "timeline":{"events":[{"type":"m.room.encrypted","sender":"@a:x","event_id":"$enc","origin_server_ts":2,"content":{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"c","session_id":"s","sender_key":"k","device_id":"D"}}]}}`

// A room that may hold an encrypted event waits for the end of the body
// (and the keys its to-device events bring) though it comes first; so
// does a second value of a room stored early (stored after it, as a later
// sync would be), and the leave of a joined room is ignored.
func TestInitialSyncEncryptedRoomWaits(t *testing.T) {
	accountData, rooms := plainRooms(t, synthhs.Shape{Rooms: 12, EventsPerRoom: 10, MembersPerRoom: 3, DMEvery: 3, Seed: 8})
	const enc = "!enc:x"
	again := rooms[0][0]
	join := append([][2]string{{enc, encryptedRoomJSON}}, rooms...)
	join = append(join, [2]string{again, `{"state":{"events":[{"type":"m.room.name","state_key":"","sender":"@a:x","event_id":"$again","origin_server_ts":9,"content":{"name":"named again"}}]}}`})
	body := syncOf(accountData, false, join, `{"`+rooms[1][0]+`":{"timeline":{"events":[]}}}`)

	c, _ := openTemp(t, offlineSession(), Options{})
	c.chunkBytes = len(body) / 6
	rec := record(t, c)
	pw, errc := streamed(t, c)
	cut := bytes.Index(body, []byte(`"`+again+`":{"state":{"events":[{"type":"m.room.name"`))
	if _, err := pw.Write(body[:cut]); err != nil {
		t.Fatal(err)
	}
	waitRooms(t, rec)
	for _, r := range c.Rooms() {
		if r.ID == enc {
			t.Fatal("the encrypted room was stored before the body ended")
		}
	}
	if _, err := pw.Write(body[cut:]); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	got := map[id.RoomID]Room{}
	for _, r := range c.Rooms() {
		got[r.ID] = r
	}
	if len(got) != len(rooms)+1 {
		t.Fatalf("%d rooms stored, want %d", len(got), len(rooms)+1)
	}
	if evs, err := c.Timeline(enc, 10); err != nil || len(evs) != 1 {
		t.Fatalf("encrypted room's timeline: %d events, %v", len(evs), err)
	}
	if !got[enc].Encrypted {
		t.Error("the encrypted room is not marked encrypted")
	}
	if got[id.RoomID(again)].Name != "named again" {
		t.Errorf("room named twice is called %q", got[id.RoomID(again)].Name)
	}
	if next := snapshot(t, c).next; next != "s9" {
		t.Errorf("next_batch %q", next)
	}
}

// A server writing its rooms before the account data (which says which
// rooms are DMs) gets no early rooms: the sync is stored as before.
func TestInitialSyncAccountDataAfterRooms(t *testing.T) {
	accountData, rooms := plainRooms(t, synthhs.Shape{Rooms: 12, EventsPerRoom: 10, MembersPerRoom: 3, DMEvery: 3, Seed: 9})
	for _, after := range []bool{false, true} {
		body := syncOf(accountData, after, rooms, "")
		c, _ := openTemp(t, offlineSession(), Options{})
		c.chunkBytes = len(body) / 6
		early := c.startEarlyStore(context.Background(), "", nil)
		b, err := decodeSyncEarly(bytes.NewReader(body), "", 0, early)
		if err != nil {
			t.Fatal(err)
		}
		if err := early.finish(b); err != nil {
			t.Fatal(err)
		}
		if after && (early.stored != 0 || len(b.rooms) != len(rooms)) {
			t.Errorf("account data after the rooms: %d chunks stored early, %d rooms left", early.stored, len(b.rooms))
		}
		if !after && (early.stored == 0 || len(b.rooms) != 0) {
			t.Errorf("account data first: %d chunks stored early, %d rooms left", early.stored, len(b.rooms))
		}
		if err := c.applyAndPublish(context.Background(), b, "", nil); err != nil {
			t.Fatal(err)
		}
		if n := len(c.Rooms()); n != len(rooms) {
			t.Errorf("%d rooms stored, want %d", n, len(rooms))
		}
	}
}

// A body cut off after early rooms were stored (a connection dropped)
// fails the sync with those rooms stored but not next_batch; the sync
// fetched again from the same since token stores nothing twice.
func TestInitialSyncCutOffThenFetchedAgain(t *testing.T) {
	body := syntheticSync(t, synthhs.Shape{Rooms: 30, EventsPerRoom: 20, MembersPerRoom: 4, DMEvery: 4, Seed: 10})
	want := wholeSnapshot(t, body)

	c, _ := openTemp(t, offlineSession(), Options{})
	c.chunkBytes = len(body) / 7
	rec := record(t, c)
	pw, errc := streamed(t, c)
	if _, err := pw.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	waitRooms(t, rec)
	_ = pw.CloseWithError(io.ErrUnexpectedEOF)
	if err := <-errc; !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut-off sync ended with %v", err)
	}
	cut := snapshot(t, c)
	if cut.next != "" || len(cut.rooms) == 0 || len(cut.rooms) >= len(want.rooms) {
		t.Fatalf("after the cut: next_batch %q, %d of %d rooms", cut.next, len(cut.rooms), len(want.rooms))
	}
	if err := applyStreamed(context.Background(), t, c, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	compareSnapshots(t, snapshot(t, c), want)
}

// Run stores an initial sync through the early store (the synthetic
// homeserver writes account data first, and its rooms are plaintext) to
// the same store as one stored at once, "synced" after next_batch; Close
// then ends it.
func TestRunInitialSyncEarly(t *testing.T) {
	srv, err := synthhs.Start(synthhs.Shape{Rooms: 40, EventsPerRoom: 20, MembersPerRoom: 4, DMEvery: 4, Seed: 11}, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	sess := *offlineSession()
	sess.Homeserver, sess.UserID, sess.DeviceID, sess.AccessToken = srv.URL, synthhs.UserID, "BENCHDEV", "synth-token"
	body := fetchSync(t, srv.URL)
	want := wholeSnapshot(t, body, &sess)

	c, _ := openTemp(t, &sess, Options{})
	c.chunkBytes = len(body) / 7
	rec := record(t, c)
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(context.Background()) }()
	rec.waitFor(t, time.Minute, "synced", func(u Update) bool {
		s, ok := u.(StatusChanged)
		return ok && s.State == StateSynced
	})
	got := snapshot(t, c)
	got.next = want.next // the server's stream moves on
	compareSnapshots(t, got, want)
	chunks := 0
	for _, u := range rec.all() {
		if _, ok := u.(RoomsChanged); ok {
			chunks++
		}
	}
	t.Logf("the room list published %d times", chunks)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
}

// fetchSync fetches a homeserver's initial /sync.
func fetchSync(t testing.TB, url string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/_matrix/client/v3/sync", nil)
	req.Header.Set("Authorization", "Bearer synth-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// Close while an initial sync's body is still downloading (the server
// stalls half-way, after early rooms were stored) ends Run and the early
// store: the rooms stored stay, next_batch does not, and the store opens
// again.
func TestCloseDuringInitialSyncDownload(t *testing.T) {
	srv, err := synthhs.Start(synthhs.Shape{Rooms: 40, EventsPerRoom: 20, MembersPerRoom: 4, DMEvery: 4, Seed: 12}, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	body := fetchSync(t, srv.URL)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	stalling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !strings.HasSuffix(req.URL.Path, "/sync") || req.URL.Query().Get("since") != "" {
			proxy.ServeHTTP(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		<-req.Context().Done()
	}))
	defer stalling.Close()

	sess := *offlineSession()
	sess.Homeserver, sess.UserID, sess.DeviceID, sess.AccessToken = stalling.URL, synthhs.UserID, "BENCHDEV", "synth-token"
	c, path := openTemp(t, &sess, Options{})
	c.chunkBytes = len(body) / 7
	rec := record(t, c)
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(context.Background()) }()
	waitRooms(t, rec)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("Run ended with %v", err)
	}
	c, err = Open(context.Background(), &sess, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := snapshot(t, c)
	if got.next != "" || len(got.rooms) == 0 || len(got.rooms) >= 40 {
		t.Fatalf("after Close: next_batch %q, %d of 40 rooms", got.next, len(got.rooms))
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// While the store is held up, the reader of an initial sync stops once
// about earlyQueueBytes of early rooms wait for it (the rest stays in the
// network's buffers) instead of running ahead into memory or a spill
// file; once the store goes on, everything is stored as a body stored at
// once, and no early room went to the spill file.
func TestInitialSyncReaderWaitsForTheStore(t *testing.T) {
	body := syntheticSync(t, synthhs.Shape{Rooms: 300, EventsPerRoom: 100, MembersPerRoom: 4, DMEvery: 4, Seed: 11})
	c, _ := openTemp(t, offlineSession(), Options{})
	c.chunkBytes = 256 << 10
	bound := int64(earlyQueueBytes + 4*c.chunkBytes + 64<<10)
	if int64(len(body)) < 2*bound {
		t.Fatalf("a body of %d bytes shows no bound of %d", len(body), bound)
	}
	c.writeMu.Lock() // the store cannot begin a chunk
	held := true
	defer func() {
		if held {
			c.writeMu.Unlock()
		}
	}()
	r := &countingReader{r: iotest.HalfReader(bytes.NewReader(body))}
	pr, pw := io.Pipe()
	go func() { _, _ = io.Copy(pw, r); _ = pw.Close() }()
	early := c.startEarlyStore(context.Background(), "", nil)
	type result struct {
		b   *syncBatch
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := decodeSyncEarly(pr, t.TempDir(), 8<<10, early)
		done <- result{b, err}
	}()
	// Reading stops: the count stays put for half a second.
	last := int64(-1)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		n := r.n.Load()
		if n == last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reader never stopped (%d of %d bytes read)", n, len(body))
		}
		last = n
	}
	if last > bound {
		t.Fatalf("the reader ran %d bytes ahead of a store that stored nothing (bound %d)", last, bound)
	}
	c.writeMu.Unlock()
	held = false
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	defer res.b.close()
	if res.b.spill != nil {
		t.Error("early rooms went to the spill file")
	}
	if err := early.finish(res.b); err != nil {
		t.Fatal(err)
	}
	if err := c.applyAndPublish(context.Background(), res.b, "", nil); err != nil {
		t.Fatal(err)
	}
	if got, want := snapshot(t, c), wholeSnapshot(t, body); !reflect.DeepEqual(got, want) {
		t.Error("the store differs from one stored at once")
	}
	t.Logf("the reader stopped after %d of %d bytes while the store was held", last, len(body))
}
