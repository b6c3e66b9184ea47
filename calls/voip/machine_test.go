package voip

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/id"
)

const (
	alice  = id.UserID("@alice:test")
	bob    = id.UserID("@bob:test")
	room   = id.RoomID("!room:test")
	offerS = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=msid:s t\r\n"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

type harness struct {
	t    *testing.T
	m    *Machine
	logs []string
	ids  int
}

func newHarness(t *testing.T, me id.UserID, party string) *harness {
	h := &harness{t: t}
	h.m = NewMachine(MachineConfig{
		UserID: me, PartyID: party, Lifetime: 90 * time.Second,
		NewCallID: func() string { h.ids++; return fmt.Sprintf("1700000000000call%d", h.ids) },
		Logf:      func(f string, a ...any) { h.logs = append(h.logs, fmt.Sprintf(f, a...)) },
	})
	return h
}

func sig(sender id.UserID, typ string, content any) Signal {
	raw, err := json.Marshal(content)
	if err != nil {
		panic(err)
	}
	return Signal{RoomID: room, Sender: sender, Type: typ, Content: raw, Received: t0}
}

func invite(callID, party string, extra map[string]any) map[string]any {
	c := map[string]any{"call_id": callID, "party_id": party, "version": "1", "lifetime": 60000,
		"offer": map[string]any{"type": "offer", "sdp": offerS}}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func cands(callID, party string, c ...string) map[string]any {
	var list []map[string]any
	for _, s := range c {
		list = append(list, map[string]any{"candidate": s, "sdpMid": "0", "sdpMLineIndex": 0})
	}
	return map[string]any{"call_id": callID, "party_id": party, "version": "1", "candidates": list}
}

func sends(acts []Action, typ string) []Send {
	var out []Send
	for _, a := range acts {
		if s, ok := a.(Send); ok && s.Type.Type == typ {
			out = append(out, s)
		}
	}
	return out
}

func find[T Action](acts []Action) []T {
	var out []T
	for _, a := range acts {
		if v, ok := a.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func marshal(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// place runs an outgoing call up to the invite being sent.
func (h *harness) place(peer id.UserID) (string, []Action) {
	callID, _, err := h.m.Place(t0, room, peer, false)
	if err != nil {
		h.t.Fatal(err)
	}
	acts := h.m.OfferReady(t0, callID, SessionDescription{"offer", offerS}, nil)
	return callID, acts
}

func TestOutgoingHappyPath(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	callID, acts := h.place(bob)
	inv := sends(acts, "m.call.invite")
	if len(inv) != 1 {
		t.Fatalf("want one invite, got %v", acts)
	}
	m := marshal(t, inv[0].Content)
	if m["version"] != "1" || m["party_id"] != "ALICEDEV" || m["invitee"] != string(bob) || m["lifetime"] != float64(90000) {
		t.Fatalf("bad invite content %v", m)
	}
	if c, _ := h.m.Call(callID); c.Phase != PhaseInviting {
		t.Fatalf("phase %v", c.Phase)
	}
	acts = h.m.HandleBatch(t0, []Signal{sig(bob, "m.call.answer", map[string]any{
		"call_id": callID, "party_id": "BOBDEV", "version": "1", "answer": map[string]any{"type": "answer", "sdp": "x"}})})
	if len(find[ApplyAnswer](acts)) != 1 {
		t.Fatalf("answer not applied: %v", acts)
	}
	sel := sends(acts, "m.call.select_answer")
	if len(sel) != 1 || marshal(t, sel[0].Content)["selected_party_id"] != "BOBDEV" {
		t.Fatalf("select_answer: %v", acts)
	}
	h.m.MediaConnected(t0.Add(time.Second), callID)
	c, _ := h.m.Call(callID)
	if c.Phase != PhaseConnected || c.ConnectedAt.IsZero() {
		t.Fatalf("not connected: %+v", c)
	}
	acts = h.m.Hangup(t0.Add(5*time.Second), callID, ReasonUserHangup)
	hu := sends(acts, "m.call.hangup")
	if len(hu) != 1 || marshal(t, hu[0].Content)["reason"] != "user_hangup" || len(find[EndMedia](acts)) != 1 {
		t.Fatalf("hangup: %v", acts)
	}
	if _, ok := h.m.Active(); ok {
		t.Fatal("call still active after hangup")
	}
}

func TestIncomingHappyPathAndCandidateBatching(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	acts := h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", invite("c1", "ALICEDEV", nil))})
	st := find[StartIncoming](acts)
	if len(st) != 1 || st[0].AutoAnswer {
		t.Fatalf("want one ringing StartIncoming, got %v", acts)
	}
	c, _ := h.m.Call("c1")
	if c.Phase != PhaseRinging || c.Outgoing || c.Peer != alice {
		t.Fatalf("call %+v", c)
	}
	h.m.Accept(t0, "c1")
	// A candidate gathered before the answer is out, one already in the SDP.
	h.m.LocalCandidate(t0, "c1", Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ relay"})
	h.m.LocalCandidate(t0, "c1", Candidate{Candidate: "candidate:2 1 udp 1 127.0.0.1 5001 typ relay"})
	acts = h.m.AnswerReady(t0, "c1", SessionDescription{"answer", "a=candidate:1 1 udp 1 127.0.0.1 5000 typ relay\r\n"}, nil)
	if len(sends(acts, "m.call.answer")) != 1 || len(sends(acts, "m.call.candidates")) != 0 {
		t.Fatalf("answer: %v", acts)
	}
	acts = h.m.Tick(t0.Add(time.Second))
	cs := sends(acts, "m.call.candidates")
	if len(cs) != 1 {
		t.Fatalf("want one candidates batch, got %v", acts)
	}
	got := cs[0].Content.(*Candidates).Candidates
	if len(got) != 1 || !strings.Contains(got[0].Candidate, "5001") {
		t.Fatalf("batch should hold only the candidate not in the SDP: %+v", got)
	}
	acts = h.m.LocalCandidate(t0.Add(time.Second), "c1", Candidate{})
	if cs := sends(acts, "m.call.candidates"); len(cs) != 1 || cs[0].Content.(*Candidates).Candidates[0].Candidate != "" {
		t.Fatalf("end-of-candidates must go out at once: %v", acts)
	}
}

func TestVersionIsAlwaysTheString1(t *testing.T) {
	raw, _ := json.Marshal(&Hangup{Common: Common{CallID: "x", PartyID: "p"}, Reason: "user_hangup"})
	if !strings.Contains(string(raw), `"version":"1"`) {
		t.Fatalf("version not the string 1: %s", raw)
	}
	for in, legacy := range map[string]bool{`0`: true, `"1"`: false, `1`: false, `"2"`: false} {
		v, err := Parse("m.call.hangup", []byte(`{"call_id":"c","version":`+in+`}`))
		if err != nil {
			t.Fatal(err)
		}
		if v.(*Hangup).Version.Legacy != legacy {
			t.Errorf("version %s: legacy=%v", in, !legacy)
		}
	}
}

func TestGlareIncomingLesserWins(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	ours, _ := h.place(bob) // 1700000000000call1
	theirs := "1600000000000zzz"
	acts := h.m.HandleBatch(t0, []Signal{sig(bob, "m.call.invite", invite(theirs, "BOBDEV", map[string]any{"invitee": string(alice)}))})
	hu := sends(acts, "m.call.hangup")
	if len(hu) != 1 || hu[0].CallID != ours {
		t.Fatalf("our call should be hung up as replaced: %v", acts)
	}
	st := find[StartIncoming](acts)
	if len(st) != 1 || !st[0].AutoAnswer || st[0].CallID != theirs {
		t.Fatalf("their call should be auto-answered: %v", acts)
	}
	if a, _ := h.m.Active(); a.ID != theirs || a.Phase != PhaseAnswering {
		t.Fatalf("active %+v", a)
	}
}

func TestGlareOursLesserWins(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	ours, _ := h.place(bob)
	theirs := "1800000000000aaa"
	acts := h.m.HandleBatch(t0, []Signal{sig(bob, "m.call.invite", invite(theirs, "BOBDEV", nil))})
	hu := sends(acts, "m.call.hangup")
	if len(hu) != 1 || hu[0].CallID != theirs || len(find[StartIncoming](acts)) != 0 {
		t.Fatalf("their call should be hung up, ours kept: %v", acts)
	}
	if a, _ := h.m.Active(); a.ID != ours {
		t.Fatalf("active %+v", a)
	}
}

func TestGlareWhilePreparing(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	ours, _, _ := h.m.Place(t0, room, bob, false)
	acts := h.m.HandleBatch(t0, []Signal{sig(bob, "m.call.invite", invite("9999", "BOBDEV", nil))})
	if len(sends(acts, "m.call.hangup")) != 0 {
		t.Fatalf("nothing was sent for our call, so no hangup: %v", acts)
	}
	if st := find[StartIncoming](acts); len(st) != 1 || !st[0].AutoAnswer {
		t.Fatalf("want auto-answer: %v", acts)
	}
	if c, _ := h.m.Call(ours); c.Phase != PhaseEnded {
		t.Fatal("our preparing call should be cancelled")
	}
	if acts := h.m.OfferReady(t0, ours, SessionDescription{"offer", offerS}, nil); len(acts) != 0 {
		t.Fatalf("a cancelled call must not send its invite: %v", acts)
	}
}

func TestCandidatesBeforeInvite(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.candidates", cands("c1", "ALICEDEV", "candidate:early"))})
	acts := h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", invite("c1", "ALICEDEV", nil))})
	st := find[StartIncoming](acts)
	ac := find[AddCandidates](acts)
	if len(st) != 1 || len(ac) != 1 || ac[0].Candidates[0].Candidate != "candidate:early" {
		t.Fatalf("stashed candidates not replayed: %v", acts)
	}
	// StartIncoming (remote description) must come before the candidates.
	for i, a := range acts {
		if _, ok := a.(AddCandidates); ok {
			if _, ok := acts[i-1].(StartIncoming); !ok {
				if _, ok := acts[i-1].(Changed); !ok {
					t.Fatalf("candidates before the offer: %v", acts)
				}
			}
		}
	}
}

func TestCandidatesBeforeAnswerAndTwoAnswers(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	callID, _ := h.place(bob)
	acts := h.m.HandleBatch(t0, []Signal{
		sig(bob, "m.call.candidates", cands(callID, "PHONE", "candidate:phone")),
		sig(bob, "m.call.candidates", cands(callID, "LAPTOP", "candidate:laptop")),
	})
	if len(find[AddCandidates](acts)) != 0 {
		t.Fatalf("candidates must wait for the answer: %v", acts)
	}
	ans := func(party string) Signal {
		return sig(bob, "m.call.answer", map[string]any{"call_id": callID, "party_id": party, "version": "1",
			"answer": map[string]any{"type": "answer", "sdp": party}})
	}
	acts = h.m.HandleBatch(t0, []Signal{ans("LAPTOP"), ans("PHONE")})
	aa := find[ApplyAnswer](acts)
	if len(aa) != 1 || aa[0].Answer.SDP != "LAPTOP" {
		t.Fatalf("first answer must win: %v", acts)
	}
	ac := find[AddCandidates](acts)
	if len(ac) != 1 || ac[0].Candidates[0].Candidate != "candidate:laptop" {
		t.Fatalf("only the chosen party's candidates: %v", acts)
	}
	sel := sends(acts, "m.call.select_answer")
	if len(sel) != 1 || sel[0].Content.(*SelectAnswer).SelectedPartyID != "LAPTOP" {
		t.Fatalf("select_answer: %v", acts)
	}
	// Later candidates and a hangup from the other device are ignored.
	acts = h.m.HandleBatch(t0, []Signal{
		sig(bob, "m.call.candidates", cands(callID, "PHONE", "candidate:phone2")),
		sig(bob, "m.call.hangup", map[string]any{"call_id": callID, "party_id": "PHONE", "version": "1", "reason": "user_hangup"}),
		sig(bob, "m.call.candidates", cands(callID, "LAPTOP", "candidate:laptop2")),
	})
	ac = find[AddCandidates](acts)
	if len(ac) != 1 || ac[0].Candidates[0].Candidate != "candidate:laptop2" || len(find[EndMedia](acts)) != 0 {
		t.Fatalf("other party's events must be ignored: %v", acts)
	}
}

func TestVersion0Peer(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	inv := invite("c0", "", nil)
	delete(inv, "party_id")
	inv["version"] = 0
	h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", inv)})
	c, _ := h.m.Call("c0")
	if !c.PeerLegacy || c.Phase != PhaseRinging {
		t.Fatalf("legacy call %+v", c)
	}
	acts := h.m.Reject(t0, "c0")
	if len(sends(acts, "m.call.reject")) != 0 || len(sends(acts, "m.call.hangup")) != 1 {
		t.Fatalf("a v0 peer gets a hangup, not a reject: %v", acts)
	}
	if r := marshal(t, sends(acts, "m.call.hangup")[0].Content); r["reason"] != nil {
		t.Fatalf("no user_hangup reason toward v0: %v", r)
	}

	// As caller: a v0 answer gets no select_answer, and negotiate is not sent.
	h2 := newHarness(t, alice, "ALICEDEV")
	callID, _ := h2.place(bob)
	acts = h2.m.HandleBatch(t0, []Signal{sig(bob, "m.call.answer", map[string]any{"call_id": callID, "version": 0,
		"answer": map[string]any{"type": "answer", "sdp": "x"}})})
	if len(find[ApplyAnswer](acts)) != 1 || len(sends(acts, "m.call.select_answer")) != 0 {
		t.Fatalf("v0 answer: %v", acts)
	}
	if acts := h2.m.LocalNegotiate(t0, callID, SessionDescription{"offer", "x"}); len(acts) != 0 {
		t.Fatalf("no negotiate to v0: %v", acts)
	}
}

func TestMalformedEvents(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	bad := []Signal{
		{RoomID: room, Sender: alice, Type: "m.call.invite", Content: []byte(`{"call_id":"c1","version":"1","lifetime":"soon","offer":{"type":"offer","sdp":"x"}}`)},
		{RoomID: room, Sender: alice, Type: "m.call.invite", Content: []byte(`{"call_id":"c2","version":"1","lifetime":60000}`)},
		{RoomID: room, Sender: alice, Type: "m.call.invite", Content: []byte(`{"version":"1","lifetime":60000,"offer":{"type":"offer","sdp":"x"}}`)},
		{RoomID: room, Sender: alice, Type: "m.call.invite", Content: []byte(`{"call_id":7,"offer":{"sdp":"x"}}`)},
		{RoomID: room, Sender: alice, Type: "m.call.invite", Content: []byte(`not json`)},
		{RoomID: room, Sender: alice, Type: "m.call.candidates", Content: []byte(`{"call_id":"c3","candidates":"many"}`)},
		{RoomID: room, Sender: alice, Type: "m.call.answer", Content: []byte(`{"call_id":"c3","answer":null}`)},
		{RoomID: room, Sender: alice, Type: "m.call.negotiate", Content: []byte(`{"call_id":"c3","description":{"type":"pranswer","sdp":"x"}}`)},
		{RoomID: room, Sender: alice, Type: "m.call.select_answer", Content: []byte(`{"call_id":"c3"}`)},
		{RoomID: room, Sender: alice, Type: "m.call.hangup", Content: []byte(`{"call_id":"c 3"}`)},
	}
	acts := h.m.HandleBatch(t0, bad)
	if len(sends(acts, "m.call.hangup"))+len(sends(acts, "m.call.reject"))+len(find[StartIncoming](acts)) != 0 {
		t.Fatalf("malformed events must not ring or send: %v", acts)
	}
	// The two invites with a usable call_id are told as missed calls
	// that could not be set up (machine_bad_test.go); nothing else acts.
	if ch := find[Changed](acts); len(ch) != 2 || len(acts) != 2 {
		t.Fatalf("want a Changed for each bad invite with a call_id, got %v", acts)
	}
	if _, ok := h.m.Active(); ok {
		t.Fatal("a malformed invite left a call")
	}
	if len(h.logs) != len(bad) {
		t.Fatalf("want one log line per bad event, got %q", h.logs)
	}
	if !strings.Contains(h.logs[0], "lifetime") || !strings.Contains(h.logs[1], "offer.sdp") {
		t.Fatalf("log lines should name the field: %q", h.logs)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("m.call.invite", []byte(`{"call_id":"c","party_id":"p","version":"1","lifetime":1,"offer":{"type":"offer","sdp":"x"}}`))
	f.Add("m.call.candidates", []byte(`{"call_id":"c","candidates":[{"candidate":""}]}`))
	f.Fuzz(func(t *testing.T, typ string, raw []byte) {
		h := newHarness(t, bob, "BOBDEV")
		var batch []Signal
		for k := range handled {
			batch = append(batch, Signal{RoomID: room, Sender: alice, Type: k, Content: raw})
		}
		batch = append(batch, Signal{RoomID: room, Sender: alice, Type: typ, Content: raw})
		h.m.HandleBatch(t0, batch)
		h.m.Tick(t0.Add(time.Hour))
	})
}

func TestStaleInvite(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	s := sig(alice, "m.call.invite", invite("c1", "ALICEDEV", nil))
	s.Age = 58 * time.Second // 60 s lifetime, 3 s grace
	if acts := h.m.HandleBatch(t0, []Signal{s}); len(acts) != 0 {
		t.Fatalf("stale invite rang: %v", acts)
	}
	s = sig(alice, "m.call.invite", invite("c2", "ALICEDEV", nil))
	s.Age = 10 * time.Second
	if acts := h.m.HandleBatch(t0, []Signal{s}); len(find[StartIncoming](acts)) != 1 {
		t.Fatalf("fresh invite did not ring: %v", acts)
	}
	// It stops ringing when its lifetime runs out.
	acts := h.m.Tick(t0.Add(48 * time.Second))
	if c, _ := h.m.Call("c2"); c.Phase != PhaseEnded || c.EndReason != "missed call" || len(sends(acts, "m.call.hangup")) != 0 {
		t.Fatalf("ringing should expire silently: %+v %v", c, acts)
	}
}

func TestInviteeMismatch(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	acts := h.m.HandleBatch(t0, []Signal{
		sig(alice, "m.call.invite", invite("c1", "ALICEDEV", map[string]any{"invitee": "@carol:test"})),
		sig(alice, "m.call.candidates", cands("c1", "ALICEDEV", "candidate:x")),
	})
	if len(acts) != 0 {
		t.Fatalf("an invite for carol rang bob: %v", acts)
	}
	acts = h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", invite("c2", "ALICEDEV", map[string]any{"invitee": string(bob)}))})
	if len(find[StartIncoming](acts)) != 1 {
		t.Fatal("an invite for bob did not ring")
	}
}

func TestBusy(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", invite("c1", "ALICEDEV", nil))})
	s := sig("@carol:test", "m.call.invite", invite("c2", "CAROLDEV", nil))
	s.RoomID = "!other:test"
	acts := h.m.HandleBatch(t0, []Signal{s})
	hu := sends(acts, "m.call.hangup")
	if len(hu) != 1 || hu[0].CallID != "c2" || hu[0].RoomID != "!other:test" || hu[0].Content.(*Hangup).Reason != "user_busy" {
		t.Fatalf("want user_busy hangup: %v", acts)
	}
	if a, _ := h.m.Active(); a.ID != "c1" {
		t.Fatal("the first call must go on")
	}
	if _, _, err := h.m.Place(t0, room, alice, false); err != ErrBusy {
		t.Fatalf("placing while busy: %v", err)
	}
}

func TestHangupInSameBatch(t *testing.T) {
	for _, second := range []Signal{
		sig(alice, "m.call.hangup", map[string]any{"call_id": "c1", "party_id": "ALICEDEV", "version": "1", "reason": "user_hangup"}),
		sig(bob, "m.call.answer", map[string]any{"call_id": "c1", "party_id": "BOBPHONE", "version": "1", "answer": map[string]any{"type": "answer", "sdp": "x"}}),
		sig(alice, "m.call.select_answer", map[string]any{"call_id": "c1", "party_id": "ALICEDEV", "version": "1", "selected_party_id": "BOBPHONE"}),
		sig(bob, "m.call.reject", map[string]any{"call_id": "c1", "party_id": "BOBPHONE", "version": "1"}),
	} {
		h := newHarness(t, bob, "BOBDEV")
		acts := h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", invite("c1", "ALICEDEV", nil)), second})
		if len(acts) != 0 {
			t.Fatalf("%s in the same batch: invite rang: %v", second.Type, acts)
		}
	}
}

func TestAnsweredElsewhere(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", invite("c1", "ALICEDEV", nil))})
	h.m.Accept(t0, "c1")
	h.m.AnswerReady(t0, "c1", SessionDescription{"answer", "x"}, nil)
	acts := h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.select_answer", map[string]any{
		"call_id": "c1", "party_id": "ALICEDEV", "version": "1", "selected_party_id": "BOBPHONE"})})
	if c, _ := h.m.Call("c1"); c.Phase != PhaseEnded || c.EndReason != "answered elsewhere" || len(find[EndMedia](acts)) != 1 {
		t.Fatalf("select_answer naming another party: %+v", c)
	}
}

func TestRejectAndNoAnswer(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	callID, _ := h.place(bob)
	acts := h.m.HandleBatch(t0, []Signal{sig(bob, "m.call.reject", map[string]any{"call_id": callID, "party_id": "BOBDEV", "version": "1"})})
	c, _ := h.m.Call(callID)
	if c.Phase != PhaseEnded || !strings.Contains(c.EndReason, "declined") || len(sends(acts, "m.call.hangup")) != 0 {
		t.Fatalf("reject: %+v %v", c, acts)
	}

	callID, _ = h.place(bob)
	if acts := h.m.Tick(t0.Add(89 * time.Second)); len(acts) != 0 {
		t.Fatalf("too early: %v", acts)
	}
	acts = h.m.Tick(t0.Add(90 * time.Second))
	hu := sends(acts, "m.call.hangup")
	c, _ = h.m.Call(callID)
	if len(hu) != 1 || hu[0].Content.(*Hangup).Reason != "invite_timeout" || c.EndReason != "no answer" {
		t.Fatalf("no answer: %+v %v", c, acts)
	}
}

func TestNegotiateAndPeerLeft(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.invite", invite("c1", "ALICEDEV", nil))})
	h.m.Accept(t0, "c1")
	h.m.AnswerReady(t0, "c1", SessionDescription{"answer", "x"}, nil)
	acts := h.m.HandleBatch(t0, []Signal{sig(alice, "m.call.negotiate", map[string]any{
		"call_id": "c1", "party_id": "ALICEDEV", "version": "1", "lifetime": 60000,
		"description": map[string]any{"type": "offer", "sdp": "restart"}})})
	if rn := find[RemoteNegotiate](acts); len(rn) != 1 || rn[0].Description.SDP != "restart" {
		t.Fatalf("negotiate: %v", acts)
	}
	acts = h.m.LocalNegotiate(t0, "c1", SessionDescription{"answer", "ok"})
	if ng := sends(acts, "m.call.negotiate"); len(ng) != 1 || ng[0].Content.(*Negotiate).Lifetime != 90000 {
		t.Fatalf("negotiate answer: %v", acts)
	}
	acts = h.m.PeerLeft(t0, room, alice)
	if c, _ := h.m.Call("c1"); c.Phase != PhaseEnded || len(find[EndMedia](acts)) != 1 {
		t.Fatalf("peer left: %+v", c)
	}
}

func TestOwnEchoIgnored(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	callID, acts := h.place(bob)
	inv := sends(acts, "m.call.invite")[0]
	raw, _ := json.Marshal(inv.Content)
	acts = h.m.HandleBatch(t0, []Signal{{RoomID: room, Sender: alice, Type: "m.call.invite", Content: raw, Received: t0}})
	if len(acts) != 0 {
		t.Fatalf("own echo: %v", acts)
	}
	if a, _ := h.m.Active(); a.ID != callID {
		t.Fatal("own echo replaced the call")
	}
}

func TestWeLeaveTheRoom(t *testing.T) {
	h := newHarness(t, alice, "ALICEDEV")
	callID, _ := h.place(bob)
	if acts := h.m.PeerLeft(t0, room, "@carol:test"); len(acts) != 0 {
		t.Fatalf("someone else leaving ended the call: %v", acts)
	}
	acts := h.m.PeerLeft(t0, room, alice)
	if c, _ := h.m.Call(callID); c.Phase != PhaseEnded || len(sends(acts, "m.call.hangup")) != 0 {
		t.Fatalf("leaving ourselves: %+v %v", c, acts)
	}
}

func TestOtherCallEventsIgnoredQuietly(t *testing.T) {
	h := newHarness(t, bob, "BOBDEV")
	acts := h.m.HandleBatch(t0, []Signal{
		// For a call we do not know: read, and dropped without a word.
		sig(alice, "m.call.sdp_stream_metadata_changed", map[string]any{"call_id": "c1", "version": "1",
			"sdp_stream_metadata": map[string]any{"s": map[string]any{"purpose": "m.usermedia", "audio_muted": true}}}),
		sig(alice, "m.call.asserted_identity", map[string]any{"call_id": "c1", "version": "1"}),
	})
	if len(acts) != 0 || len(h.logs) != 0 {
		t.Fatalf("acts %v logs %q", acts, h.logs)
	}
}
