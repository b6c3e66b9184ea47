package matrix

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

// loginTimeout bounds a login request.
const loginTimeout = 30 * time.Second

// ErrBadCredentials says the homeserver refused the user name or password.
var ErrBadCredentials = errors.New("wrong user name or password")

// LoginParams is what the login form or the flags give.
type LoginParams struct {
	// Homeserver is a base URL; empty means discover it from User's server
	// name through /.well-known/matrix/client.
	Homeserver string
	// User is a full user ID (@alice:example.org) or a bare user name.
	User       string
	Password   string
	DeviceName string
	// HTTPClient makes the requests; nil means a default client.
	HTTPClient *http.Client
}

// Login logs in with a password and returns the new session. Its errors
// never contain the password or a token; a refused password gives an
// error matching ErrBadCredentials.
func Login(ctx context.Context, p LoginParams) (*Session, error) {
	s, err := login(ctx, p)
	if errors.Is(err, ErrBadCredentials) {
		// Built from what the user typed (server, user) and our own
		// words: nothing of the password, whatever letters it shares.
		return s, err
	}
	return s, scrub(err, p.Password)
}

func login(ctx context.Context, p LoginParams) (*Session, error) {
	user := strings.TrimSpace(p.User)
	if user == "" {
		return nil, errors.New("login: no user name given")
	}
	if p.Password == "" {
		return nil, errors.New("login: no password given")
	}
	httpc := p.HTTPClient
	if httpc == nil {
		httpc = &http.Client{Timeout: loginTimeout}
	}
	hs := strings.TrimSpace(p.Homeserver)
	localpart := user
	if strings.HasPrefix(user, "@") {
		uid := id.UserID(user)
		lp, server, err := uid.Parse()
		if err != nil || lp == "" || server == "" {
			return nil, fmt.Errorf("login: %q is not a valid user ID (expected @name:server)", user)
		}
		localpart = lp
		if hs == "" {
			found, err := discoverHomeserver(ctx, httpc, uid, wellKnownHTTPS)
			if err != nil {
				return nil, fmt.Errorf("login: %w", err)
			}
			hs = found
		}
	} else if hs == "" {
		return nil, fmt.Errorf("login: give a full user ID (@%s:server) or a homeserver URL", user)
	}
	cli, err := mautrix.NewClient(hs, "", "")
	if err != nil {
		return nil, fmt.Errorf("login: homeserver URL %q: %w", hs, err)
	}
	cli.Client = httpc
	cli.DefaultHTTPRetries = 0
	cli.UserAgent = "termatrix"
	deviceName := p.DeviceName
	if deviceName == "" {
		deviceName = "termatrix"
	}
	lctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	resp, err := cli.Login(lctx, &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: localpartOrID(user, localpart)},
		Password:                 p.Password,
		InitialDeviceDisplayName: deviceName,
	})
	if err != nil {
		switch respErrCode(err) {
		case "M_FORBIDDEN", "M_INVALID_USERNAME", "M_USER_DEACTIVATED":
			return nil, fmt.Errorf("login to %s as %s: %w", cli.HomeserverURL, user, ErrBadCredentials)
		}
		return nil, fmt.Errorf("login to %s as %s: %w", cli.HomeserverURL, user, err)
	}
	if resp.AccessToken == "" || resp.UserID == "" {
		return nil, fmt.Errorf("login to %s: the homeserver's answer has no user ID or token", cli.HomeserverURL)
	}
	s := &Session{
		Homeserver:  cli.HomeserverURL.String(),
		UserID:      resp.UserID,
		DeviceID:    resp.DeviceID,
		AccessToken: resp.AccessToken,
	}
	s.EnsurePickleKey()
	return s, nil
}

// localpartOrID sends the full user ID when given, so servers that host
// several names resolve it; otherwise the bare name.
func localpartOrID(user, localpart string) string {
	if strings.HasPrefix(user, "@") {
		return user
	}
	return localpart
}
