package jitsi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Content is the im.vector.modular.widgets state content Element web
// sends for a Jitsi conference (WidgetUtils.addJitsiWidget), field for
// field. Element writes no id, creatorUserId or avatar_url.
type Content struct {
	Type string      `json:"type"`
	URL  string      `json:"url"`
	Name string      `json:"name"`
	Data ContentData `json:"data"`
}

// ContentData is the data object of Content.
type ContentData struct {
	ConferenceID   string `json:"conferenceId"`
	RoomName       string `json:"roomName"`
	IsAudioOnly    bool   `json:"isAudioOnly"`
	IsVideoChannel bool   `json:"isVideoChannel"`
	Domain         string `json:"domain"`
	// Auth is left out unless the server asks for openidtoken-jwt, as
	// Element does since 2023.
	Auth string `json:"auth,omitempty"`
}

// wrapperFragment is Element's jitsi.html template (getLocalJitsiWrapperUrl),
// placeholders and all, in Element's order. supportsScreensharing is true,
// as Element web in a browser says.
const wrapperFragment = fragmentHead +
	"&startWithAudioMuted=$startWithAudioMuted" +
	"&startWithVideoMuted=$startWithVideoMuted" +
	fragmentTail

// fragmentHead and fragmentTail are the parts of Element's template that the
// widget's URL and the URL we open share.
const (
	fragmentHead = "conferenceDomain=$domain" +
		"&conferenceId=$conferenceId" +
		"&isAudioOnly=$isAudioOnly"
	fragmentTail = "&isVideoChannel=$isVideoChannel" +
		"&displayName=$matrix_display_name" +
		"&avatarUrl=$matrix_avatar_url" +
		"&userId=$matrix_user_id" +
		"&roomId=$matrix_room_id" +
		"&theme=$theme" +
		"&roomName=$roomName" +
		"&supportsScreensharing=true" +
		"&language=$org.matrix.msc2873.client_language"
)

// NewContent builds the state content for a new conference on a validated
// domain and conference ID. wrapperBase is our trusted jitsi.html URL
// (config jitsi.wrapperUrl); the stored url is the wrapper with
// ?confId=<id> and Element's placeholder fragment, so Element, its mobile
// apps and v1-only clients all find the conference.
func NewContent(wrapperBase string, c Conference) (Content, error) {
	base, err := ParseWrapperBase(wrapperBase)
	if err != nil {
		return Content{}, err
	}
	if err := ValidateDomain(c.Domain); err != nil {
		return Content{}, err
	}
	if err := ValidateConferenceID(c.ConferenceID); err != nil {
		return Content{}, err
	}
	if c.Auth != "" && c.Auth != AuthOpenIDJWT {
		return Content{}, fmt.Errorf("unknown Jitsi auth %s", quote(c.Auth))
	}
	frag := wrapperFragment
	if c.Auth != "" {
		frag += "&auth=" + c.Auth
	}
	return Content{
		Type: TypeJitsi,
		URL:  base + "?confId=" + EncodeURIComponent(c.ConferenceID) + "#" + frag,
		Name: "Jitsi",
		Data: ContentData{
			ConferenceID:   c.ConferenceID,
			RoomName:       c.RoomName,
			IsAudioOnly:    c.IsAudioOnly,
			IsVideoChannel: false,
			Domain:         c.Domain,
			Auth:           c.Auth,
		},
	}, nil
}

// ParseWrapperBase checks our configured jitsi.html URL: https, a host,
// no user info, and returns it without any query or fragment.
func ParseWrapperBase(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("jitsi.wrapperUrl: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", errors.New("jitsi.wrapperUrl must be an https URL with a host")
	}
	u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = "", "", "", false
	return u.String(), nil
}
