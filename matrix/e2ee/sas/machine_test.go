package sas

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/crypto/canonicaljson"
	"maunium.net/go/mautrix/id"
)

// side is one end of an in-memory verification: its machine and what it
// has been told.
type side struct {
	name     string
	v        *Verification
	party    Party
	keys     map[string]string
	sas      *SAS
	verified []VerifiedKey
	done     bool
	cancel   *Cancellation
	inbox    []Message // sent to this side, not yet delivered
}

// pair is two sides wired together: what one sends lands in the other's
// inbox.
type pair struct {
	t    *testing.T
	a, b *side
	now  time.Time
}

func party(user, device string) Party {
	return Party{UserID: id.UserID(user), DeviceID: id.DeviceID(device)}
}

func keysOf(p Party, master string) map[string]string {
	k := map[string]string{"ed25519:" + string(p.DeviceID): "DeviceKeyOf" + string(p.DeviceID)}
	if master != "" {
		k["ed25519:"+master] = master
	}
	return k
}

// newPair makes a's outgoing request to b and b's incoming side, as
// to-device or in-room events.
func newPair(t *testing.T, a, b Party, inRoom bool) *pair {
	t.Helper()
	p := &pair{t: t, now: time.Unix(1_800_000_000, 0)}
	p.a = &side{name: "a", party: a, keys: keysOf(a, "MasterOf"+strings.Trim(string(a.UserID), "@:"))}
	p.b = &side{name: "b", party: b, keys: keysOf(b, "MasterOf"+strings.Trim(string(b.UserID), "@:"))}
	const txn = "txn1"
	cfg := func(us, them *side) Config {
		return Config{
			Us: us.party, Them: them.party, TxnID: txn, InRoom: inRoom, OurKeys: us.keys,
			TheirKeys: func(keyID string) string { return them.keys[keyID] },
			Now:       func() time.Time { return p.now },
		}
	}
	ca := cfg(p.a, p.b)
	ca.Them.DeviceID = "" // not known until b answers
	p.a.v = NewOutgoing(ca)
	var req Request
	var err error
	if inRoom {
		req, err = ParseRequest(RoomRequest(a.DeviceID, b.UserID))
	} else {
		req, err = ParseRequest(ToDeviceRequest(a.DeviceID, txn, p.now))
	}
	if err != nil {
		t.Fatal(err)
	}
	cb := cfg(p.b, p.a)
	cb.Them.DeviceID = ""
	p.b.v, err = NewIncoming(cb, req, p.now)
	if err != nil {
		t.Fatal(err)
	}
	if p.b.v.Them() != a {
		t.Fatalf("b's other side is %+v, want %+v", p.b.v.Them(), a)
	}
	return p
}

func (p *pair) other(s *side) *side {
	if s == p.a {
		return p.b
	}
	return p.a
}

// apply records a step of s and queues what it sends for the other side.
func (p *pair) apply(s *side, st Step) {
	p.t.Helper()
	for _, m := range st.Send {
		if !json.Valid(m.Content) {
			p.t.Fatalf("%s sent invalid JSON %s", s.name, m.Content)
		}
		if got := TxnID(m.Content); got != "txn1" {
			p.t.Fatalf("%s sent %s for transaction %q", s.name, m.Type, got)
		}
		o := p.other(s)
		o.inbox = append(o.inbox, m)
	}
	if st.SAS != nil {
		if s.sas != nil {
			p.t.Fatalf("%s got a second SAS", s.name)
		}
		s.sas = st.SAS
	}
	if st.Verified != nil {
		if s.verified != nil {
			p.t.Fatalf("%s verified twice", s.name)
		}
		s.verified = st.Verified
	}
	if st.Done {
		s.done = true
	}
	if st.Cancelled != nil {
		s.cancel = st.Cancelled
	}
}

func (p *pair) must(s *side, st Step, err error) {
	p.t.Helper()
	if err != nil {
		p.t.Fatalf("%s: %v", s.name, err)
	}
	p.apply(s, st)
}

// deliver hands s everything in its inbox, in order, and returns the
// types delivered.
func (p *pair) deliver(s *side) []string {
	p.t.Helper()
	var types []string
	for len(s.inbox) > 0 {
		m := s.inbox[0]
		s.inbox = s.inbox[1:]
		types = append(types, m.Type)
		p.apply(s, s.v.Receive(m.Type, m.Content))
	}
	return types
}

// settle delivers until both inboxes are empty.
func (p *pair) settle() {
	for len(p.a.inbox)+len(p.b.inbox) > 0 {
		p.deliver(p.a)
		p.deliver(p.b)
	}
}

// run drives a verification: b accepts, starter starts SAS, then first
// and second confirm in that order, each delivery interleaved.
func (p *pair) run(starter, first *side) {
	p.t.Helper()
	st, err := p.b.v.Accept()
	p.must(p.b, st, err)
	p.settle()
	if p.a.v.State() != Ready || p.b.v.State() != Ready {
		p.t.Fatalf("after ready: %s / %s", p.a.v.State(), p.b.v.State())
	}
	st, err = starter.v.Start()
	p.must(starter, st, err)
	p.settle()
	if p.a.sas == nil || p.b.sas == nil {
		p.t.Fatalf("no SAS: %v / %v (states %s / %s)", p.a.sas, p.b.sas, p.a.v.State(), p.b.v.State())
	}
	st, err = first.v.Confirm()
	p.must(first, st, err)
	p.settle()
	second := p.other(first)
	if first.verified != nil || second.done || first.done {
		p.t.Fatalf("verified before both confirmed")
	}
	st, err = second.v.Confirm()
	p.must(second, st, err)
	p.settle()
}

func (p *pair) checkSuccess() {
	p.t.Helper()
	for _, s := range []*side{p.a, p.b} {
		if s.cancel != nil {
			p.t.Fatalf("%s cancelled: %+v", s.name, s.cancel)
		}
		if !s.done || s.v.State() != Done {
			p.t.Fatalf("%s not done: %s", s.name, s.v.State())
		}
		o := p.other(s)
		var want []VerifiedKey
		for keyID, key := range o.keys {
			want = append(want, VerifiedKey{KeyID: keyID, Key: key})
		}
		slices.SortFunc(want, func(x, y VerifiedKey) int { return strings.Compare(x.KeyID, y.KeyID) })
		if !slices.Equal(s.verified, want) {
			p.t.Fatalf("%s verified %v, want %v", s.name, s.verified, want)
		}
	}
	if !slices.Equal(p.a.sas.Emoji, p.b.sas.Emoji) || p.a.sas.Decimals != p.b.sas.Decimals || len(p.a.sas.Emoji) != 7 {
		p.t.Fatalf("SAS differ: %v / %v", p.a.sas, p.b.sas)
	}
}

func TestVerifyInMemory(t *testing.T) {
	alice, bob := party("@alice:x", "ALICEDEV"), party("@bob:x", "BOBDEV")
	for _, inRoom := range []bool{false, true} {
		for _, starterName := range []string{"requester", "accepter"} {
			for _, firstName := range []string{"starter", "other"} {
				t.Run(fmt.Sprintf("inRoom=%v/start=%s/confirm=%s", inRoom, starterName, firstName), func(t *testing.T) {
					p := newPair(t, alice, bob, inRoom)
					starter := p.a
					if starterName == "accepter" {
						starter = p.b
					}
					first := starter
					if firstName == "other" {
						first = p.other(starter)
					}
					p.run(starter, first)
					p.checkSuccess()
				})
			}
		}
	}
}

// TestBothStart has both devices of one user start at once: the start of
// the smaller device ID counts, and the verification completes.
func TestBothStart(t *testing.T) {
	for _, order := range [][2]string{{"AAAA", "BBBB"}, {"BBBB", "AAAA"}} {
		p := newPair(t, party("@me:x", order[0]), party("@me:x", order[1]), false)
		st, err := p.b.v.Accept()
		p.must(p.b, st, err)
		p.settle()
		sa, err := p.a.v.Start()
		p.must(p.a, sa, err)
		sb, err := p.b.v.Start()
		p.must(p.b, sb, err)
		p.settle()
		for _, s := range []*side{p.a, p.b} {
			st, err := s.v.Confirm()
			p.must(s, st, err)
			p.settle()
		}
		p.checkSuccess()
		if p.a.v.weStarted != (order[0] < order[1]) {
			t.Errorf("%v: a's start counted: %v", order, p.a.v.weStarted)
		}
	}
}

// TestDoneBeforeConfirm: their MAC and done arrive before our user
// confirms; confirming then completes at once.
func TestDoneBeforeConfirm(t *testing.T) {
	p := newPair(t, party("@alice:x", "A"), party("@bob:x", "B"), true)
	st, err := p.b.v.Accept()
	p.must(p.b, st, err)
	p.settle()
	st, err = p.a.v.Start()
	p.must(p.a, st, err)
	p.settle()
	st, err = p.b.v.Confirm()
	p.must(p.b, st, err)
	p.settle() // a gets b's MAC
	if p.a.verified != nil || p.a.done {
		t.Fatal("a verified before its user confirmed")
	}
	st, err = p.a.v.Confirm()
	p.must(p.a, st, err)
	if p.a.verified == nil {
		t.Fatal("a did not verify on confirming")
	}
	p.settle()
	p.checkSuccess()
}

func TestCancelPaths(t *testing.T) {
	alice, bob := party("@alice:x", "A"), party("@bob:x", "B")
	// toSAS brings a pair to the shown SAS, a having started.
	toSAS := func(t *testing.T) *pair {
		p := newPair(t, alice, bob, false)
		st, err := p.b.v.Accept()
		p.must(p.b, st, err)
		p.settle()
		st, err = p.a.v.Start()
		p.must(p.a, st, err)
		p.settle()
		return p
	}
	expect := func(t *testing.T, p *pair, code string, by *side) {
		t.Helper()
		p.settle()
		for _, s := range []*side{p.a, p.b} {
			if s.cancel == nil || s.cancel.Code != code {
				t.Fatalf("%s: cancel %+v, want %s", s.name, s.cancel, code)
			}
			if s.cancel.Remote != (s != by) {
				t.Errorf("%s: remote %v", s.name, s.cancel.Remote)
			}
			if s.verified != nil || s.done {
				t.Errorf("%s verified despite the cancel", s.name)
			}
		}
	}

	t.Run("mismatch", func(t *testing.T) {
		p := toSAS(t)
		p.apply(p.b, p.b.v.Cancel(CodeMismatchedSAS, "the emoji did not match"))
		expect(t, p, CodeMismatchedSAS, p.b)
		if p.a.cancel.Reason != "the emoji did not match" {
			t.Errorf("reason %q", p.a.cancel.Reason)
		}
	})
	t.Run("mismatch after the other confirmed", func(t *testing.T) {
		p := toSAS(t)
		st, err := p.a.v.Confirm()
		p.must(p.a, st, err)
		p.settle()
		p.apply(p.b, p.b.v.Cancel(CodeMismatchedSAS, "no"))
		expect(t, p, CodeMismatchedSAS, p.b)
	})
	t.Run("timeout", func(t *testing.T) {
		p := toSAS(t)
		p.now = p.now.Add(Timeout - time.Second)
		if st := p.a.v.Expire(); st.Cancelled != nil {
			t.Fatal("expired early")
		}
		p.now = p.now.Add(2 * time.Second)
		p.apply(p.a, p.a.v.Expire())
		expect(t, p, CodeTimeout, p.a)
	})
	t.Run("unknown method", func(t *testing.T) {
		p := newPair(t, alice, bob, false)
		st, err := p.b.v.Accept()
		p.must(p.b, st, err)
		p.settle()
		p.apply(p.b, p.b.v.Receive(TypeStart, json.RawMessage(`{"from_device":"A","method":"m.qr_code.show.v1","transaction_id":"txn1"}`)))
		if p.b.cancel == nil || p.b.cancel.Code != CodeUnknownMethod {
			t.Fatalf("cancel %+v", p.b.cancel)
		}
	})
	t.Run("no common MAC", func(t *testing.T) {
		p := newPair(t, alice, bob, false)
		st, err := p.b.v.Accept()
		p.must(p.b, st, err)
		p.settle()
		p.apply(p.b, p.b.v.Receive(TypeStart, json.RawMessage(`{"from_device":"A","method":"m.sas.v1",
			"key_agreement_protocols":["curve25519-hkdf-sha256"],"hashes":["sha256"],
			"message_authentication_codes":["hmac-sha256"],"short_authentication_string":["emoji"],"transaction_id":"txn1"}`)))
		if p.b.cancel == nil || p.b.cancel.Code != CodeUnknownMethod {
			t.Fatalf("cancel %+v", p.b.cancel)
		}
	})
	t.Run("wrong commitment", func(t *testing.T) {
		p := newPair(t, alice, bob, false)
		st, err := p.b.v.Accept()
		p.must(p.b, st, err)
		p.settle()
		st, err = p.a.v.Start()
		p.must(p.a, st, err)
		p.deliver(p.b) // b accepts with a commitment
		acc := p.a.inbox[0]
		var m map[string]any
		_ = json.Unmarshal(acc.Content, &m)
		m["commitment"] = b64(make([]byte, 32))
		p.a.inbox[0].Content = mustCanonical(m)
		p.settle()
		expect(t, p, CodeMismatchedCommit, p.a)
	})
	t.Run("bad MAC", func(t *testing.T) {
		p := toSAS(t)
		st, err := p.a.v.Confirm()
		p.must(p.a, st, err)
		mac := p.b.inbox[0]
		var m macContent
		_ = json.Unmarshal(mac.Content, &m)
		m.MAC["ed25519:A"] = b64(make([]byte, 32))
		p.b.inbox[0].Content = mustCanonical(map[string]any{"mac": m.MAC, "keys": m.Keys, "transaction_id": "txn1"})
		p.settle()
		expect(t, p, CodeKeyMismatch, p.b)
	})
	t.Run("key list changed", func(t *testing.T) {
		p := toSAS(t)
		st, err := p.a.v.Confirm()
		p.must(p.a, st, err)
		var m macContent
		_ = json.Unmarshal(p.b.inbox[0].Content, &m)
		delete(m.MAC, "ed25519:A") // drop a key: the KEY_IDS MAC no longer fits
		p.b.inbox[0].Content = mustCanonical(map[string]any{"mac": m.MAC, "keys": m.Keys, "transaction_id": "txn1"})
		p.settle()
		expect(t, p, CodeKeyMismatch, p.b)
	})
	t.Run("unknown keys only", func(t *testing.T) {
		p := toSAS(t)
		p.b.v.cfg.TheirKeys = func(string) string { return "" }
		st, err := p.a.v.Confirm()
		p.must(p.a, st, err)
		p.settle()
		expect(t, p, CodeKeyMismatch, p.b)
	})
	t.Run("declined", func(t *testing.T) {
		p := newPair(t, alice, bob, true)
		p.apply(p.b, p.b.v.Cancel(CodeUser, "declined"))
		expect(t, p, CodeUser, p.b)
	})
	t.Run("unexpected", func(t *testing.T) {
		p := newPair(t, alice, bob, false)
		p.apply(p.a, p.a.v.Receive(TypeKey, json.RawMessage(`{"key":"x","transaction_id":"txn1"}`)))
		expect(t, p, CodeUnexpectedMessage, p.a)
	})
	t.Run("events after the end are ignored", func(t *testing.T) {
		p := toSAS(t)
		p.apply(p.a, p.a.v.Cancel(CodeUser, "bye"))
		if st := p.a.v.Receive(TypeDone, json.RawMessage(`{}`)); len(st.Send) > 0 || st.Cancelled != nil {
			t.Fatalf("step after the end: %+v", st)
		}
		if _, err := p.a.v.Confirm(); err == nil {
			t.Fatal("confirmed after the end")
		}
	})
}

func TestIncomingRequestChecks(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	cfg := Config{Us: party("@b:x", "B"), Them: party("@a:x", ""), TxnID: "t", Now: func() time.Time { return now }}
	req := Request{FromDevice: "A", Methods: []string{"m.qr_code.show.v1", MethodSAS}}
	if _, err := NewIncoming(cfg, req, now.Add(-Timeout-time.Second)); !errors.Is(err, ErrStale) {
		t.Errorf("old request: %v", err)
	}
	if _, err := NewIncoming(cfg, req, now.Add(6*time.Minute)); !errors.Is(err, ErrStale) {
		t.Errorf("future request: %v", err)
	}
	if _, err := NewIncoming(cfg, Request{FromDevice: "A", Methods: []string{"m.qr_code.show.v1"}}, now); !errors.Is(err, ErrNoSAS) {
		t.Errorf("no SAS: %v", err)
	}
	v, err := NewIncoming(cfg, req, now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if v.Deadline() != now.Add(Timeout-time.Minute) {
		t.Errorf("deadline %v", v.Deadline())
	}
	if _, err := v.Start(); err == nil {
		t.Error("started before accepting")
	}
	if _, err := ParseRequest(json.RawMessage(`{"methods":["m.sas.v1"]}`)); err == nil {
		t.Error("a request without from_device parsed")
	}
}

// TestCommitmentOverReceivedJSON: the accepter hashes the start exactly
// as it arrived (unknown fields, any key order and spacing), in canonical
// form, not a re-encoding of what it understood.
func TestCommitmentOverReceivedJSON(t *testing.T) {
	p := newPair(t, party("@alice:x", "A"), party("@bob:x", "B"), true)
	st, err := p.b.v.Accept()
	p.must(p.b, st, err)
	p.settle()
	start := `{ "short_authentication_string": ["emoji", "decimal"], "method": "m.sas.v1",
		"m.relates_to": {"rel_type": "m.reference", "event_id": "txn1", "is_falling_back": false},
		"org.example.extra": {"z": 1, "a": [2]}, "hashes": ["sha256"], "from_device": "A",
		"key_agreement_protocols": ["curve25519-hkdf-sha256"], "message_authentication_codes": ["hkdf-hmac-sha256.v2"] }`
	st = p.b.v.Receive(TypeStart, json.RawMessage(start))
	if len(st.Send) != 1 || st.Send[0].Type != TypeAccept {
		t.Fatalf("step %+v", st)
	}
	var acc acceptContent
	if err := json.Unmarshal(st.Send[0].Content, &acc); err != nil {
		t.Fatal(err)
	}
	canon := json.RawMessage(start)
	if err := canonicaljson.Canonicalize(&canon); err != nil {
		t.Fatal(err)
	}
	if want := commitment(p.b.v.ourKey, canon); acc.Commitment != want {
		t.Fatalf("commitment %s, want %s over %s", acc.Commitment, want, canon)
	}
	if acc.Method != MethodSAS || acc.MessageAuthenticationCode != macV2 || !slices.Equal(acc.ShortAuthenticationString, []string{sasDecimal, sasEmoji}) {
		t.Fatalf("accept %+v", acc)
	}
}

// TestLegacyMAC: with only hkdf-hmac-sha256 offered both sides use it
// (libolm's base64) and still verify each other.
func TestLegacyMAC(t *testing.T) {
	p := newPair(t, party("@alice:x", "A"), party("@bob:x", "B"), false)
	st, err := p.b.v.Accept()
	p.must(p.b, st, err)
	p.settle()
	st, err = p.a.v.Start()
	p.must(p.a, st, err)
	var m map[string]any
	_ = json.Unmarshal(p.b.inbox[0].Content, &m)
	m["message_authentication_codes"] = []string{macV1}
	p.b.inbox[0].Content = mustCanonical(m)
	p.a.v.startCanon = p.b.inbox[0].Content // what a "sent"
	p.settle()
	for _, s := range []*side{p.a, p.b} {
		st, err := s.v.Confirm()
		p.must(s, st, err)
		p.settle()
	}
	p.checkSuccess()
	if p.a.v.mac != macV1 || p.b.v.mac != macV1 {
		t.Fatalf("MAC methods %s / %s", p.a.v.mac, p.b.v.mac)
	}
}
