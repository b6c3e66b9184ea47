package teststack

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// front is the stable HTTP endpoint clients use: it serves the client
// well-known document and the MatrixRTC transports itself (see
// rtctransports.go) and proxies everything else to Dendrite.
type front struct {
	mu              sync.Mutex
	wellKnown       []byte
	rtcTransports   []byte // {"rtc_transports":[…]}; nil: ask Dendrite
	noRTCTransports bool   // answer 404 M_UNRECOGNIZED at rtc/transports

	target *url.URL

	transport *http.Transport
	proxy     *httputil.ReverseProxy
	server    *http.Server
	listener  net.Listener
}

// newFront listens on 127.0.0.1:port and forwards to target.
func newFront(target *url.URL, port int) (*front, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listening for the homeserver front: %w", err)
	}
	f := &front{listener: l, target: target}
	f.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     30 * time.Second,
	}
	f.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // Dendrite sees the address the client used
		},
		Transport:     f.transport,
		FlushInterval: -1, // stream every write: long-polls and large /sync bodies pass straight through
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(`{"errcode":"M_UNKNOWN","error":"homeserver unavailable"}`))
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/matrix/client", f.serveWellKnown)
	mux.HandleFunc(rtcTransportsUnstablePath, f.serveRTCTransports)
	mux.HandleFunc(rtcTransportsStablePath, f.serveRTCTransports)
	mux.Handle("/", f.proxy)
	f.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.server.Serve(l) }()
	return f, nil
}

// url returns the front's base URL.
func (f *front) url() string { return "http://" + f.listener.Addr().String() }

func (f *front) setWellKnown(doc map[string]any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encoding well-known document: %w", err)
	}
	f.mu.Lock()
	f.wellKnown = b
	f.mu.Unlock()
	return nil
}

func (f *front) serveWellKnown(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	w.Header().Set("Access-Control-Allow-Headers", "Origin, X-Requested-With, Content-Type, Accept, Authorization")
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodHead:
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f.mu.Lock()
	b := f.wellKnown
	f.mu.Unlock()
	if b == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// dropConnections forgets pooled connections to Dendrite, as after a stop
// they lead nowhere.
func (f *front) dropConnections() { f.transport.CloseIdleConnections() }

func (f *front) close() {
	_ = f.server.Close()
	f.transport.CloseIdleConnections()
}
