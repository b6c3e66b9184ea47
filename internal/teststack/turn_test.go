package teststack

import (
	"bytes"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// TestTURNRelays allocates a relay on coturn with the credentials Dendrite
// hands out and relays a datagram to a loopback peer and back: Dendrite's
// shared secret matches coturn's and loopback relaying is allowed.
func TestTURNRelays(t *testing.T) {
	st := shared.Get(t)
	u := st.MustRegister(t, "relay")
	var creds struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := u.Do(testCtx(t), http.MethodGet, "/_matrix/client/v3/voip/turnServer", nil, &creds); err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: st.TURNAddr,
		TURNServerAddr: st.TURNAddr,
		Username:       creds.Username,
		Password:       creds.Password,
		Realm:          "localhost",
		Conn:           conn,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := client.AllocateWithContext(testCtx(t))
	if err != nil {
		t.Fatalf("allocating with Dendrite's TURN credentials: %v", err)
	}
	defer relay.Close()

	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	msg := []byte("through coturn")
	// The first send also installs the permission for the peer.
	if _, err := relay.WriteTo(msg, peer.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := peer.ReadFrom(buf)
	if err != nil {
		t.Fatalf("peer got nothing through the relay: %v", err)
	}
	if !bytes.Equal(buf[:n], msg) || from.String() != relay.LocalAddr().String() {
		t.Fatalf("peer got %q from %v, want %q from the relay %v", buf[:n], from, msg, relay.LocalAddr())
	}
	if _, err := peer.WriteTo([]byte("and back"), from); err != nil {
		t.Fatal(err)
	}
	_ = relay.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err = relay.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "and back" {
		t.Fatalf("reply through the relay: %q, %v", buf[:n], err)
	}
}
