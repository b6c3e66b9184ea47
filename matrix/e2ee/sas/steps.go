package sas

import (
	"crypto/ecdh"
	"crypto/subtle"
	"encoding/json"
	"slices"
	"strings"

	"maunium.net/go/mautrix/crypto/canonicaljson"
)

// The m.sas.v1 steps: start, accept, key exchange, MACs, done.

// theirStartWins applies the specification's rule when both sides sent a
// start: the one from the lexicographically smaller user ID (device ID
// for one user) counts.
func (v *Verification) theirStartWins() bool {
	us, them := v.cfg.Us, v.cfg.Them
	if us.UserID != them.UserID {
		return them.UserID < us.UserID
	}
	return them.DeviceID < us.DeviceID
}

func (v *Verification) onStart(content json.RawMessage) Step {
	var s startContent
	if err := json.Unmarshal(content, &s); err != nil || s.Method == "" {
		return v.fail(CodeInvalidMessage, "malformed start")
	}
	var st Step
	switch {
	case v.state == Ready:
	case v.state == Requested && !v.cfg.InRoom && s.FromDevice != "":
		// A start without a ready: the device that sent it answered.
		v.cfg.Them.DeviceID = s.FromDevice
		st.Ready = true
	case v.state == Started && v.weStarted && v.commit == nil:
		if s.Method != MethodSAS {
			return v.fail(CodeUnexpectedMessage, "both sides started, with different methods")
		}
		if !v.theirStartWins() {
			return Step{} // ours counts; they will accept it
		}
		v.weStarted, v.startCanon = false, nil
	default:
		return v.fail(CodeUnexpectedMessage, "unexpected start")
	}
	if s.Method != MethodSAS {
		return v.fail(CodeUnknownMethod, "unknown verification method "+s.Method)
	}
	if s.FromDevice != "" && v.cfg.Them.DeviceID != "" && s.FromDevice != v.cfg.Them.DeviceID {
		return v.fail(CodeUnexpectedMessage, "start from another device")
	}
	if !contains(s.KeyAgreementProtocols, keyAgreementHKDF) || !contains(s.Hashes, hashSHA256) {
		return v.fail(CodeUnknownMethod, "no common key agreement protocol or hash")
	}
	switch {
	case contains(s.MessageAuthenticationCodes, macV2):
		v.mac = macV2
	case contains(s.MessageAuthenticationCodes, macV1):
		v.mac = macV1
	default:
		return v.fail(CodeUnknownMethod, "no common message authentication code")
	}
	v.sasMethods = nil
	for _, m := range []string{sasDecimal, sasEmoji} {
		if contains(s.ShortAuthenticationString, m) {
			v.sasMethods = append(v.sasMethods, m)
		}
	}
	if len(v.sasMethods) == 0 {
		return v.fail(CodeUnknownMethod, "no common short authentication string")
	}
	canon := append(json.RawMessage(nil), content...)
	if err := canonicaljson.Canonicalize(&canon); err != nil {
		return v.fail(CodeInvalidMessage, "malformed start")
	}
	if err := v.newKey(); err != nil {
		return v.fail(CodeUser, "cannot make a key: "+err.Error())
	}
	v.startCanon = canon
	v.state = Started
	st.Send = append(st.Send, v.build(TypeAccept, map[string]any{
		"method":                      MethodSAS,
		"commitment":                  commitment(v.ourKey, canon),
		"hash":                        hashSHA256,
		"key_agreement_protocol":      keyAgreementHKDF,
		"message_authentication_code": v.mac,
		"short_authentication_string": v.sasMethods,
	}))
	return st
}

func (v *Verification) newKey() error {
	priv, err := ecdh.X25519().GenerateKey(v.cfg.Rand)
	if err != nil {
		return err
	}
	v.priv, v.ourKey = priv, b64(priv.PublicKey().Bytes())
	return nil
}

func (v *Verification) onAccept(content json.RawMessage) Step {
	if v.state != Started || !v.weStarted || v.commit != nil {
		return v.fail(CodeUnexpectedMessage, "unexpected accept")
	}
	var a acceptContent
	if err := json.Unmarshal(content, &a); err != nil {
		return v.fail(CodeInvalidMessage, "malformed accept")
	}
	commit, err := unb64(a.Commitment)
	if err != nil || len(commit) == 0 {
		return v.fail(CodeInvalidMessage, "malformed commitment")
	}
	if a.KeyAgreementProtocol != keyAgreementHKDF || a.Hash != hashSHA256 ||
		(a.MessageAuthenticationCode != macV2 && a.MessageAuthenticationCode != macV1) {
		return v.fail(CodeUnknownMethod, "the accept chose a method we did not offer")
	}
	v.sasMethods = nil
	for _, m := range a.ShortAuthenticationString {
		if (m == sasDecimal || m == sasEmoji) && !contains(v.sasMethods, m) {
			v.sasMethods = append(v.sasMethods, m)
		}
	}
	if len(v.sasMethods) == 0 {
		return v.fail(CodeUnknownMethod, "the accept chose no short authentication string we offered")
	}
	if err := v.newKey(); err != nil {
		return v.fail(CodeUser, "cannot make a key: "+err.Error())
	}
	v.commit, v.mac = commit, a.MessageAuthenticationCode
	return Step{Send: []Message{v.build(TypeKey, map[string]any{"key": v.ourKey})}}
}

func (v *Verification) onKey(content json.RawMessage) Step {
	// The starter gets the key after its accept; the accepter after
	// sending its accept.
	if v.state != Started || v.theirKey != "" || (v.weStarted && v.commit == nil) {
		return v.fail(CodeUnexpectedMessage, "unexpected key")
	}
	var k keyContent
	if err := json.Unmarshal(content, &k); err != nil {
		return v.fail(CodeInvalidMessage, "malformed key")
	}
	raw, err := unb64(k.Key)
	if err != nil {
		return v.fail(CodeInvalidMessage, "malformed key")
	}
	pub, err := ecdh.X25519().NewPublicKey(raw)
	if err != nil {
		return v.fail(CodeInvalidMessage, "malformed key")
	}
	theirKey := b64(raw)
	var st Step
	if v.weStarted {
		got, _ := unb64(commitment(theirKey, v.startCanon))
		if subtle.ConstantTimeCompare(got, v.commit) != 1 {
			return v.fail(CodeMismatchedCommit, "their key does not match their commitment")
		}
	} else {
		st.Send = append(st.Send, v.build(TypeKey, map[string]any{"key": v.ourKey}))
	}
	secret, err := v.priv.ECDH(pub)
	if err != nil {
		return v.fail(CodeInvalidMessage, "unusable key")
	}
	v.theirKey, v.secret = theirKey, secret
	starter, accepter := v.cfg.Us, v.cfg.Them
	startKey, acceptKey := v.ourKey, v.theirKey
	if !v.weStarted {
		starter, accepter = accepter, starter
		startKey, acceptKey = acceptKey, startKey
	}
	b, err := sasBytes(secret, sasInfo(string(starter.UserID), string(starter.DeviceID), startKey,
		string(accepter.UserID), string(accepter.DeviceID), acceptKey, v.cfg.TxnID))
	if err != nil {
		return v.fail(CodeUser, "cannot derive the short authentication string")
	}
	s := &SAS{Decimals: decimals(b)}
	if contains(v.sasMethods, sasEmoji) {
		for _, i := range emojiIndices(b) {
			s.Emoji = append(s.Emoji, EmojiTable[i])
		}
	}
	v.state = KeysExchanged
	st.SAS = s
	return st
}

// ourMAC is our m.key.verification.mac: a MAC of each of our keys and of
// the sorted list of their IDs.
func (v *Verification) ourMAC() Message {
	us, them := v.cfg.Us, v.cfg.Them
	info := func(keyID string) string {
		return macInfo(string(us.UserID), string(us.DeviceID), string(them.UserID), string(them.DeviceID), v.cfg.TxnID, keyID)
	}
	macs := make(map[string]string, len(v.cfg.OurKeys))
	ids := make([]string, 0, len(v.cfg.OurKeys))
	for keyID, key := range v.cfg.OurKeys {
		macs[keyID] = calcMAC(v.mac, v.secret, info(keyID), key)
		ids = append(ids, keyID)
	}
	slices.Sort(ids)
	return v.build(TypeMAC, map[string]any{
		"mac":  macs,
		"keys": calcMAC(v.mac, v.secret, info("KEY_IDS"), strings.Join(ids, ",")),
	})
}

func (v *Verification) onMAC(content json.RawMessage) Step {
	if v.state != KeysExchanged || v.verified != nil {
		return v.fail(CodeUnexpectedMessage, "unexpected mac")
	}
	var m macContent
	if err := json.Unmarshal(content, &m); err != nil || len(m.MAC) == 0 || m.Keys == "" {
		return v.fail(CodeInvalidMessage, "malformed mac")
	}
	us, them := v.cfg.Us, v.cfg.Them
	info := func(keyID string) string {
		return macInfo(string(them.UserID), string(them.DeviceID), string(us.UserID), string(us.DeviceID), v.cfg.TxnID, keyID)
	}
	ids := make([]string, 0, len(m.MAC))
	for keyID := range m.MAC {
		ids = append(ids, keyID)
	}
	slices.Sort(ids)
	if !checkMAC(v.mac, v.secret, info("KEY_IDS"), strings.Join(ids, ","), m.Keys) {
		return v.fail(CodeKeyMismatch, "the MAC of their key list does not match")
	}
	verified := []VerifiedKey{}
	for _, keyID := range ids {
		key := v.cfg.TheirKeys(keyID)
		if key == "" {
			continue // a key we do not know of: nothing to verify
		}
		if !checkMAC(v.mac, v.secret, info(keyID), key, m.MAC[keyID]) {
			return v.fail(CodeKeyMismatch, "the MAC of their key "+keyID+" does not match")
		}
		verified = append(verified, VerifiedKey{KeyID: keyID, Key: key})
	}
	if len(verified) == 0 {
		return v.fail(CodeKeyMismatch, "none of the keys in their MAC is known here")
	}
	v.verified = verified
	var st Step
	v.finish(&st)
	return st
}

func (v *Verification) onDone() Step {
	if v.state != KeysExchanged || v.doneReceived {
		return v.fail(CodeUnexpectedMessage, "unexpected done")
	}
	v.doneReceived = true
	var st Step
	v.finish(&st)
	return st
}

// finish moves on once both users confirmed and their MAC checked out:
// it reports the verified keys, sends done, and completes when their done
// came too.
func (v *Verification) finish(st *Step) {
	if !v.confirmed || v.verified == nil {
		return
	}
	if !v.reported {
		v.reported = true
		st.Verified = v.verified
	}
	if !v.doneSent {
		v.doneSent = true
		st.Send = append(st.Send, v.build(TypeDone, nil))
	}
	if v.doneReceived {
		v.state = Done
		st.Done = true
	}
}
