package jitsi

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// User is what a client fills into widget templates for itself.
type User struct {
	UserID      string
	DisplayName string // "" means the user ID, as Element does
	AvatarURL   string // an http(s) download URL, or ""
	RoomID      string
	WidgetID    string
	DeviceID    string
	BaseURL     string // the homeserver's base URL
	Theme       string // "light" or "dark"; anything else is "dark"
	Language    string // e.g. "en"; "" is "en"
}

// ClientID is the client ID given to widgets (org.matrix.msc2873.client_id).
const ClientID = "org.termatrix"

// joinFragment is the fragment of the URL the browser is given: Element's
// template without startWithAudioMuted/startWithVideoMuted (Element never
// sets them; left as literals they would reach jitsi.html as text).
const joinFragment = fragmentHead + fragmentTail

// JoinURL builds the jitsi.html URL that joins conference c, from our
// trusted wrapper base and c's validated fields only (never the event's
// url), with every placeholder filled for u. roomName is used when c has
// none. The result is always https on the wrapper's host.
func JoinURL(wrapperBase string, c Conference, u User, roomName string) (string, error) {
	base, err := ParseWrapperBase(wrapperBase)
	if err != nil {
		return "", err
	}
	if err := ValidateDomain(c.Domain); err != nil {
		return "", err
	}
	if err := ValidateConferenceID(c.ConferenceID); err != nil {
		return "", err
	}
	frag := joinFragment
	if c.Auth != "" {
		if !safeToken(c.Auth) {
			return "", fmt.Errorf("auth %s has unsafe characters", quote(c.Auth))
		}
		frag += "&auth=" + c.Auth
	}
	if c.RoomName != "" {
		roomName = c.RoomName
	}
	vars := []Var{
		{"domain", c.Domain},
		{"conferenceId", c.ConferenceID},
		{"isAudioOnly", strconv.FormatBool(c.IsAudioOnly)},
		{"isVideoChannel", strconv.FormatBool(c.IsVideoChannel)},
		{"roomName", truncateRunes(roomName, maxRoomNameLength)},
		{"theme", theme(u.Theme)},
	}
	vars = append(vars, clientVars(u)...)
	filled, err := FillTemplate(frag, vars)
	if err != nil {
		return "", err
	}
	return checkHTTPS(base + "#" + filled)
}

// WidgetURL fills a (non-Jitsi) widget's URL template as Element does:
// first every data key in order, then the client's own values, which data
// cannot override. The result is rebuilt by CleanURL: https only, a
// validated host, no user info, every part percent-encoded.
func WidgetURL(w Widget, u User) (string, error) {
	if !w.Active {
		return "", errors.New("the widget was removed")
	}
	if w.Suspicious {
		return "", errors.New(w.Reason)
	}
	if w.Jitsi != nil {
		return "", errors.New("a Jitsi widget is joined with JoinURL")
	}
	u.WidgetID = w.ID
	vars := spread(w.Data, clientVars(u))
	filled, err := FillTemplate(w.URL, vars)
	if err != nil {
		return "", err
	}
	// The template and its data come from the room: what goes to the
	// browser is rebuilt from the parsed, validated parts.
	return CleanURL(filled)
}

// spread merges variables as JavaScript's {...data, ...client} does: a
// key keeps its first position and takes its last value, so data cannot
// override the client's values.
func spread(data, client []Var) []Var {
	out := make([]Var, 0, len(data)+len(client))
	pos := map[string]int{}
	for _, list := range [][]Var{data, client} {
		for _, v := range list {
			if i, ok := pos[v.Key]; ok {
				out[i].Value = v.Value
				continue
			}
			pos[v.Key] = len(out)
			out = append(out, v)
		}
	}
	return out
}

// clientVars are the values a client fills in for itself, applied last.
func clientVars(u User) []Var {
	name := u.DisplayName
	if name == "" {
		name = u.UserID
	}
	lang := u.Language
	if lang == "" {
		lang = "en"
	}
	return []Var{
		{"matrix_room_id", u.RoomID},
		{"matrix_user_id", u.UserID},
		{"matrix_display_name", name},
		{"matrix_avatar_url", u.AvatarURL},
		{"matrix_widget_id", u.WidgetID},
		{"org.matrix.msc2873.client_id", ClientID},
		{"org.matrix.msc2873.client_theme", theme(u.Theme)},
		{"org.matrix.msc2873.client_language", lang},
		{"org.matrix.msc3819.matrix_device_id", u.DeviceID},
		{"org.matrix.msc4039.matrix_base_url", u.BaseURL},
	}
}

// theme reduces a theme name to light or dark, default dark, as Element
// does for Jitsi.
func theme(t string) string {
	if t == "light" {
		return "light"
	}
	return "dark"
}

// checkHTTPS parses s and returns it only if it is an https URL with a
// host and no user info.
func checkHTTPS(s string) (string, error) {
	if len(s) > MaxURLLength {
		return "", ErrTooLong
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("widget URL cannot be parsed: %w", err)
	}
	if u.Scheme != "https" {
		return "", errors.New("only https URLs are opened")
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", errors.New("widget URL has no plain host")
	}
	return s, nil
}
