package synthhs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server serves one generated account over loopback HTTP.
type Server struct {
	URL string

	shape   Shape
	rooms   []*room
	byID    map[string]*room
	initial []byte // the initial /sync response, built once

	mu      sync.Mutex
	seq     int64             // the latest stream position
	pending []json.RawMessage // live events, in order, each with its room
	roomOf  []string          // the room of each pending event
	wake    chan struct{}     // closed and replaced when an event arrives
	idle    time.Duration     // how long a long-poll waits at most
	syncs   int64             // /sync requests answered
	unknown map[string]int    // paths answered with M_UNRECOGNIZED

	srv *http.Server
	rnd *rand.Rand
}

// Start generates the account and serves it on a loopback port.
// idle caps how long an incremental /sync waits for news (the client's
// own timeout otherwise).
func Start(shape Shape, idle time.Duration) (*Server, error) {
	s := &Server{
		shape: shape, byID: map[string]*room{}, wake: make(chan struct{}), idle: idle,
		unknown: map[string]int{}, rnd: rand.New(rand.NewPCG(shape.Seed+7, 99)),
	}
	s.rooms = generate(shape, time.Now().UnixMilli())
	for _, r := range s.rooms {
		s.byID[r.id] = r
	}
	s.initial = s.buildInitial()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("synthhs: listening: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops serving.
func (s *Server) Close() error { return s.srv.Close() }

// InitialSize is the size of the initial /sync response in bytes.
func (s *Server) InitialSize() int { return len(s.initial) }

// RoomIDs lists the account's rooms, oldest activity first.
func (s *Server) RoomIDs() []string {
	out := make([]string, len(s.rooms))
	for i, r := range s.rooms {
		out[i] = r.id
	}
	return out
}

// FloorToken is the access token of a bench's bare sync loop (the floor
// beside the client): its /sync requests are served but not counted in
// Syncs.
const FloorToken = "synth-floor"

// Syncs is how many /sync requests were answered (the floor's aside).
func (s *Server) Syncs() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncs
}

// Unknown lists the paths answered with M_UNRECOGNIZED and how often.
func (s *Server) Unknown() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.unknown {
		out[k] = v
	}
	return out
}

// Post adds a message from another member to roomID ("" picks a random
// room) with the given body ("" makes a short sentence).
func (s *Server) Post(roomID, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if roomID == "" {
		roomID = s.rooms[s.rnd.IntN(len(s.rooms))].id
	}
	if body == "" {
		body = sentence(s.rnd, 4+s.rnd.IntN(20))
	}
	s.seq++
	sender := user(1)
	if r := s.byID[roomID]; r != nil && r.other != "" {
		sender = r.other
	}
	ev := messageEvent(roomID, eventID(roomID, "live"+strconv.FormatInt(s.seq, 10)), sender, time.Now().UnixMilli(), body)
	s.pending = append(s.pending, ev)
	s.roomOf = append(s.roomOf, roomID)
	close(s.wake)
	s.wake = make(chan struct{})
}

// Trickle posts rate messages a second to random rooms until ctx ends.
func (s *Server) Trickle(ctx context.Context, rate float64) {
	if rate <= 0 {
		return
	}
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Post("", "")
		}
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers the client-server API calls termatrix makes.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	p := req.URL.Path
	_, _ = io.Copy(io.Discard, req.Body)
	switch {
	case p == "/.well-known/matrix/client":
		writeJSON(w, 200, map[string]any{"m.homeserver": map[string]any{"base_url": s.URL}})
	case p == "/_matrix/client/versions":
		writeJSON(w, 200, map[string]any{"versions": []string{"v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6"}})
	case strings.HasSuffix(p, "/login") && req.Method == http.MethodGet:
		writeJSON(w, 200, map[string]any{"flows": []any{map[string]any{"type": "m.login.password"}}})
	case strings.HasSuffix(p, "/login"):
		writeJSON(w, 200, map[string]any{"user_id": UserID, "access_token": "synth-token", "device_id": "BENCHDEV", "home_server": ServerName})
	case strings.HasSuffix(p, "/logout"):
		writeJSON(w, 200, map[string]any{})
	case strings.HasSuffix(p, "/account/whoami"):
		writeJSON(w, 200, map[string]any{"user_id": UserID, "device_id": "BENCHDEV"})
	case strings.Contains(p, "/filter"):
		writeJSON(w, 200, map[string]any{"filter_id": "1"})
	case strings.HasSuffix(p, "/sync"):
		s.sync(w, req)
	case strings.HasSuffix(p, "/keys/upload"):
		writeJSON(w, 200, map[string]any{"one_time_key_counts": map[string]any{"signed_curve25519": 50}})
	case strings.HasSuffix(p, "/keys/query"):
		writeJSON(w, 200, map[string]any{"device_keys": map[string]any{}, "failures": map[string]any{},
			"master_keys": map[string]any{}, "self_signing_keys": map[string]any{}, "user_signing_keys": map[string]any{}})
	case strings.HasSuffix(p, "/keys/claim"):
		writeJSON(w, 200, map[string]any{"one_time_keys": map[string]any{}, "failures": map[string]any{}})
	case strings.Contains(p, "/room_keys/version"):
		writeJSON(w, 404, map[string]any{"errcode": "M_NOT_FOUND", "error": "No backup"})
	case strings.Contains(p, "/voip/turnServer"):
		writeJSON(w, 200, map[string]any{})
	case strings.Contains(p, "/pushrules"):
		writeJSON(w, 200, map[string]any{"global": map[string]any{}})
	case strings.Contains(p, "/account_data/"), strings.Contains(p, "/profile/"):
		if req.Method == http.MethodGet {
			writeJSON(w, 404, map[string]any{"errcode": "M_NOT_FOUND", "error": "not set"})
		} else {
			writeJSON(w, 200, map[string]any{})
		}
	case strings.Contains(p, "/rooms/"):
		s.roomRequest(w, req)
	case strings.Contains(p, "/sendToDevice/"), strings.Contains(p, "/devices"), strings.Contains(p, "/presence/"):
		writeJSON(w, 200, map[string]any{})
	default:
		s.mu.Lock()
		s.unknown[req.Method+" "+p]++
		s.mu.Unlock()
		writeJSON(w, 404, map[string]any{"errcode": "M_UNRECOGNIZED", "error": "not served by the synthetic homeserver"})
	}
}

// roomRequest answers /rooms/{id}/...: members, messages, sends, receipts.
func (s *Server) roomRequest(w http.ResponseWriter, req *http.Request) {
	p := req.URL.Path
	parts := strings.Split(p[strings.Index(p, "/rooms/")+len("/rooms/"):], "/")
	r := s.byID[parts[0]]
	if r == nil || len(parts) < 2 {
		writeJSON(w, 404, map[string]any{"errcode": "M_NOT_FOUND", "error": "no such room"})
		return
	}
	switch parts[1] {
	case "members":
		var chunk []json.RawMessage
		for _, ev := range r.state {
			if bytes.Contains(ev, []byte(`"m.room.member"`)) {
				chunk = append(chunk, ev)
			}
		}
		writeJSON(w, 200, map[string]any{"chunk": chunk})
	case "joined_members":
		writeJSON(w, 200, map[string]any{"joined": map[string]any{}})
	case "messages":
		writeJSON(w, 200, map[string]any{"chunk": []any{}, "start": req.URL.Query().Get("from")})
	case "send", "state", "redact":
		s.mu.Lock()
		s.seq++
		id := eventID(r.id, "sent"+strconv.FormatInt(s.seq, 10))
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"event_id": id})
	case "state_event":
		writeJSON(w, 404, map[string]any{"errcode": "M_NOT_FOUND"})
	default: // receipt, read_markers, typing, ...
		writeJSON(w, 200, map[string]any{})
	}
}

// sync answers /sync: the whole account without since, else the live
// events after since, waiting for one at most the client's timeout (capped
// by idle).
func (s *Server) sync(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	since := q.Get("since")
	if req.Header.Get("Authorization") != "Bearer "+FloorToken {
		s.mu.Lock()
		s.syncs++
		s.mu.Unlock()
	}
	if since == "" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.initial)
		return
	}
	from, err := strconv.ParseInt(strings.TrimPrefix(since, "s"), 10, 64)
	if err != nil {
		writeJSON(w, 400, map[string]any{"errcode": "M_INVALID_PARAM", "error": "bad since"})
		return
	}
	wait, _ := strconv.Atoi(q.Get("timeout"))
	d := time.Duration(wait) * time.Millisecond
	if s.idle > 0 && d > s.idle {
		d = s.idle
	}
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		seq, wake := s.seq, s.wake
		var evs []json.RawMessage
		var roomOf []string
		if int64(len(s.pending)) > from {
			evs = append(evs, s.pending[from:]...)
			roomOf = append(roomOf, s.roomOf[from:]...)
		}
		s.mu.Unlock()
		_ = seq
		if len(evs) > 0 {
			s.writeIncremental(w, int64(len(s.pending)), evs, roomOf)
			return
		}
		select {
		case <-wake:
		case <-deadline.C:
			s.writeIncremental(w, from, nil, nil)
			return
		case <-req.Context().Done():
			return
		}
	}
}

func (s *Server) writeIncremental(w http.ResponseWriter, next int64, evs []json.RawMessage, roomOf []string) {
	join := map[string]any{}
	for i, ev := range evs {
		j, _ := join[roomOf[i]].(map[string]any)
		if j == nil {
			j = map[string]any{"timeline": map[string]any{"events": []json.RawMessage{}, "limited": false},
				"unread_notifications": map[string]any{"notification_count": 1, "highlight_count": 0}}
			join[roomOf[i]] = j
		}
		tl := j["timeline"].(map[string]any)
		tl["events"] = append(tl["events"].([]json.RawMessage), ev)
	}
	resp := map[string]any{"next_batch": "s" + strconv.FormatInt(next, 10)}
	if len(join) > 0 {
		resp["rooms"] = map[string]any{"join": join}
	}
	writeJSON(w, 200, resp)
}

// buildInitial renders the initial /sync of the whole account.
func (s *Server) buildInitial() []byte {
	join := map[string]any{}
	direct := map[string][]string{}
	for _, r := range s.rooms {
		if r.dm {
			direct[r.other] = append(direct[r.other], r.id)
		}
		j := map[string]any{
			"state":                map[string]any{"events": r.state},
			"timeline":             map[string]any{"events": r.timeline, "limited": true, "prev_batch": "p" + r.id},
			"unread_notifications": map[string]any{"notification_count": r.unread, "highlight_count": 0},
			"summary":              map[string]any{"m.joined_member_count": len(r.state) - 4},
		}
		join[r.id] = j
	}
	return mustJSON(map[string]any{
		"next_batch":   "s0",
		"rooms":        map[string]any{"join": join},
		"account_data": map[string]any{"events": []any{map[string]any{"type": "m.direct", "content": direct}}},
	})
}
