package sas

import (
	"encoding/json"
	"testing"
)

var fuzzTypes = []string{TypeRequest, TypeReady, TypeStart, TypeAccept, TypeKey, TypeMAC, TypeDone, TypeCancel, "m.key.verification.other"}

// FuzzReceive feeds arbitrary remote content, as any verification event
// type, to a verification at any stage: it must never panic, everything
// it sends must be JSON of this verification, and nothing gets verified
// that the other side did not MAC.
func FuzzReceive(f *testing.F) {
	f.Add(byte(0), byte(1), []byte(`{"from_device":"B","methods":["m.sas.v1"],"transaction_id":"txn1"}`))
	f.Add(byte(2), byte(2), []byte(`{"from_device":"B","method":"m.sas.v1","key_agreement_protocols":["curve25519-hkdf-sha256"],"hashes":["sha256"],"message_authentication_codes":["hkdf-hmac-sha256.v2"],"short_authentication_string":["emoji","decimal"],"transaction_id":"txn1"}`))
	f.Add(byte(3), byte(3), []byte(`{"method":"m.sas.v1","commitment":"AAAA","hash":"sha256","key_agreement_protocol":"curve25519-hkdf-sha256","message_authentication_code":"hkdf-hmac-sha256","short_authentication_string":["decimal"]}`))
	f.Add(byte(4), byte(4), []byte(`{"key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`))
	f.Add(byte(5), byte(5), []byte(`{"keys":"x","mac":{"ed25519:B":"y"}}`))
	f.Add(byte(5), byte(6), []byte(`{}`))
	f.Add(byte(1), byte(7), []byte(`{"code":"m.user","reason":"no"}`))
	f.Add(byte(4), byte(2), []byte(`{"method":"m.sas.v1","from_device":"A"}`))
	f.Add(byte(3), byte(4), []byte(`{"key":"9/////////////////////////////////////////8"}`))
	f.Fuzz(func(t *testing.T, stage, typ byte, content []byte) {
		p := newPair(t, party("@alice:x", "A"), party("@bob:x", "B"), stage&8 != 0)
		target := advance(p, int(stage&7))
		evType := fuzzTypes[int(typ)%len(fuzzTypes)]
		st := target.v.Receive(evType, content)
		for _, m := range st.Send {
			if !json.Valid(m.Content) || TxnID(m.Content) != "txn1" {
				t.Fatalf("sent %s %s", m.Type, m.Content)
			}
		}
		if st.Verified != nil {
			t.Fatalf("fuzzed %s %q verified %v", evType, content, st.Verified)
		}
		if st.Cancelled != nil && !target.v.Ended() {
			t.Fatal("cancelled but not ended")
		}
	})
}

// advance brings a pair to a stage and returns the side the fuzzed event
// goes to: 0 a requested, 1 b incoming, 2 both ready, 3 a started, 4 b
// accepted, 5 keys exchanged, 6 a confirmed, 7 b confirmed too.
func advance(p *pair, stage int) *side {
	if stage == 0 {
		return p.a
	}
	if stage == 1 {
		return p.b
	}
	st, _ := p.b.v.Accept()
	p.apply(p.b, st)
	p.settle()
	if stage == 2 {
		return p.b
	}
	st, _ = p.a.v.Start()
	p.apply(p.a, st)
	if stage == 3 {
		return p.a
	}
	p.deliver(p.b)
	if stage == 4 {
		return p.b
	}
	p.settle()
	if stage == 5 {
		return p.a
	}
	st, _ = p.a.v.Confirm()
	p.apply(p.a, st)
	if stage == 6 {
		return p.b
	}
	p.settle()
	st, _ = p.b.v.Confirm()
	p.apply(p.b, st)
	return p.a
}

// FuzzParse: parsing a request and finding a transaction never panics,
// and a parsed request names a device and methods.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"from_device":"A","methods":["m.sas.v1"],"timestamp":1,"transaction_id":"t"}`))
	f.Add([]byte(`{"msgtype":"m.key.verification.request","from_device":"A","methods":["m.sas.v1"],"to":"@b:x"}`))
	f.Add([]byte(`{"m.relates_to":{"rel_type":"m.reference","event_id":"$e"}}`))
	f.Add([]byte(`{"m.relates_to":null,"transaction_id":7}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		_ = TxnID(content)
		r, err := ParseRequest(content)
		if err == nil && (r.FromDevice == "" || len(r.Methods) == 0) {
			t.Fatalf("parsed %q as %+v", content, r)
		}
	})
}
