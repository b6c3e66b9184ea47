package calls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/browser"
	"github.com/termatrix/termatrix/calls/jitsi"
)

// Element's words (LegacyCallHandler, SlashCommands).
const (
	msgCallYourself    = "You cannot place a call with yourself."
	msgNoPermission    = "You do not have permission to start a conference call in this room"
	msgCannotModify    = "You cannot modify widgets in this room."
	msgNoConference    = "There is no conference in this room."
	msgSupplyWidgetURL = "Please supply a https:// or http:// widget URL"
)

// override is widget content we sent and the store may not have yet.
type override struct {
	eventID id.EventID
	content []byte
	at      time.Time
}

// overrideTTL bounds how long a sent widget shadows the store.
const overrideTTL = 30 * time.Second

// startOrJoin joins the room's Jitsi widget if there is one, else creates
// one exactly as Element does and opens it.
func (c *Controller) startOrJoin(ctx context.Context, roomID id.RoomID, audioOnly bool, start time.Time) {
	if w := c.currentJitsi(roomID); w != nil {
		c.openConference(ctx, roomID, w, start)
		return
	}
	if !c.mx.CanSendState(roomID, WidgetEventType) {
		c.status(roomID, true, msgNoPermission)
		return
	}
	choice := c.startDomain(ctx)
	if choice.Domain == "" {
		c.status(roomID, true, "No valid Jitsi domain is configured.")
		return
	}
	auth, err := c.auth.Auth(ctx, choice.Domain)
	if err != nil {
		c.log.Debug().Err(err).Str("domain", choice.Domain).Msg("jitsi: auth lookup failed; no auth")
	}
	roomName := string(roomID)
	if r, ok := c.mx.Room(roomID); ok && r.Name != "" {
		roomName = r.Name
	}
	conf := jitsi.Conference{
		Domain:       choice.Domain,
		ConferenceID: jitsi.NewConferenceID(string(roomID), auth),
		IsAudioOnly:  audioOnly,
		RoomName:     roomName,
		Auth:         auth,
	}
	content, err := jitsi.NewContent(c.cfg.Jitsi.WrapperURL, conf)
	if err != nil {
		c.status(roomID, true, "Cannot start a conference: %s", err)
		return
	}
	widgetID := jitsi.NewWidgetID()
	evID, err := c.mx.SendState(ctx, roomID, WidgetEventType, widgetID, content)
	if err != nil {
		if isForbidden(err) {
			c.status(roomID, true, msgNoPermission)
		} else {
			c.status(roomID, true, "Could not start the conference: %s", err)
		}
		return
	}
	raw, _ := json.Marshal(content)
	c.setOverride(roomID, widgetID, evID, raw)
	c.refreshConference(roomID)
	w := jitsi.Parse(widgetID, string(c.mx.UserID()), raw)
	c.openConference(ctx, roomID, &w, start)
}

func isForbidden(err error) bool {
	if errors.Is(err, mautrix.MForbidden) {
		return true
	}
	var re mautrix.RespError
	if errors.As(err, &re) {
		return re.ErrCode == mautrix.MForbidden.ErrCode
	}
	var rep *mautrix.RespError
	return errors.As(err, &rep) && rep != nil && rep.ErrCode == mautrix.MForbidden.ErrCode
}

// openConference opens the jitsi.html URL for a widget's conference,
// built from our wrapper base and the widget's validated data only.
func (c *Controller) openConference(ctx context.Context, roomID id.RoomID, w *jitsi.Widget, start time.Time) {
	if w.Suspicious || w.Jitsi == nil {
		c.status(roomID, true, "This room's Jitsi widget looks unsafe and was not opened: %s", w.Reason)
		return
	}
	conf := *w.Jitsi
	roomName := string(roomID)
	if r, ok := c.mx.Room(roomID); ok && r.Name != "" {
		roomName = r.Name
	}
	u, err := jitsi.JoinURL(c.cfg.Jitsi.WrapperURL, conf, c.user(ctx, roomID, w.ID), roomName)
	if err != nil {
		c.status(roomID, true, "Cannot open the conference: %s", err)
		return
	}
	title := fmt.Sprintf("Jitsi conference %s on %s", conf.ConferenceID, conf.Domain)
	warn := ""
	if conf.Auth == jitsi.AuthOpenIDJWT {
		warn = " This Jitsi server wants Matrix authentication (openidtoken-jwt), which the jitsi.html page cannot do outside Element: Element users can join, but the page may fail to load here."
	}
	c.open(ctx, roomID, title, u, start, warn)
}

// open hands an https URL to the browser, or asks the UI to show it.
func (c *Controller) open(ctx context.Context, roomID id.RoomID, title, u string, start time.Time, warn string) {
	latency := time.Since(start)
	c.mu.Lock()
	c.lastLatency = latency
	c.mu.Unlock()
	c.log.Info().Dur("press_to_open", latency).Str("what", title).Msg("calls: opening in the browser")
	err := c.opener.Open(ctx, u)
	var nl *browser.NotLaunchedError
	switch {
	case err == nil:
		c.status(roomID, false, "Opened %s.%s", title, warn)
	case errors.As(err, &nl):
		c.publish(ShowLink{RoomID: roomID, Title: title, URL: u, Reason: nl.Reason})
		if warn != "" {
			c.status(roomID, false, "%s:%s", title, warn)
		}
	default:
		c.status(roomID, true, "Could not open %s: %s", title, err)
	}
}

// user is what this user fills into widget templates.
func (c *Controller) user(ctx context.Context, roomID id.RoomID, widgetID string) jitsi.User {
	me := c.mx.UserID()
	u := jitsi.User{
		UserID:      string(me),
		DisplayName: c.mx.DisplayName(roomID, me),
		AvatarURL:   c.avatarHTTP(ctx),
		RoomID:      string(roomID),
		WidgetID:    widgetID,
		DeviceID:    string(c.mx.DeviceID()),
		Theme:       c.cfg.UI.Theme,
		Language:    c.cfg.UI.Language,
	}
	if hs := c.mx.HomeserverURL(); hs != nil {
		u.BaseURL = hs.String()
	}
	if u.DisplayName == string(me) {
		u.DisplayName = ""
	}
	return u
}

// avatarTTL is how long the user's avatar URL is kept.
const avatarTTL = 10 * time.Minute

// avatarHTTP returns the user's avatar as an HTTP download URL, or "".
func (c *Controller) avatarHTTP(ctx context.Context) string {
	c.mu.Lock()
	if !c.avatarAt.IsZero() && time.Since(c.avatarAt) < avatarTTL {
		a := c.avatar
		c.mu.Unlock()
		return a
	}
	c.mu.Unlock()
	out := ""
	if mxc := c.mx.AvatarURL(ctx); mxc != "" {
		if uri, err := mxc.Parse(); err == nil && uri.IsValid() {
			if hs := c.mx.HomeserverURL(); hs != nil {
				base := *hs
				base.Path = ""
				base.RawPath = ""
				out = fmt.Sprintf("%s/_matrix/media/v3/download/%s/%s",
					trimSlash(base.String()), jitsi.EncodeURIComponent(uri.Homeserver), jitsi.EncodeURIComponent(uri.FileID))
			}
		}
	}
	c.mu.Lock()
	c.avatar, c.avatarAt = out, time.Now()
	c.mu.Unlock()
	return out
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// roomWidgets parses every widget of a room, our unsynced sends included.
func (c *Controller) roomWidgets(roomID id.RoomID) map[string]jitsi.Widget {
	out := map[string]jitsi.Widget{}
	stored := c.mx.StateEvents(roomID, WidgetEventType)
	for key, ev := range stored {
		if ev == nil {
			continue
		}
		out[key] = parseWidget(key, ev)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, o := range c.overrides[roomID] {
		if ev := stored[key]; (ev != nil && ev.ID == o.eventID) || time.Since(o.at) > overrideTTL {
			delete(c.overrides[roomID], key)
			continue
		}
		w := jitsi.Parse(key, string(c.mx.UserID()), o.content)
		w.Timestamp = o.at.UnixMilli()
		out[key] = w
	}
	return out
}

// parseWidget parses a stored widget state event.
func parseWidget(key string, ev *event.Event) jitsi.Widget {
	w := jitsi.Parse(key, string(ev.Sender), contentBytes(&ev.Content))
	w.Timestamp = ev.Timestamp
	return w
}

func (c *Controller) setOverride(roomID id.RoomID, key string, evID id.EventID, content []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.overrides[roomID] == nil {
		c.overrides[roomID] = map[string]override{}
	}
	c.overrides[roomID][key] = override{eventID: evID, content: content, at: time.Now()}
}

func (c *Controller) dropOverride(roomID id.RoomID, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.overrides[roomID], key)
}

// currentJitsi returns the room's active Jitsi widget: the newest valid
// one, else the newest suspicious one (so the banner can warn), else nil.
func (c *Controller) currentJitsi(roomID id.RoomID) *jitsi.Widget {
	var list []jitsi.Widget
	for _, w := range c.roomWidgets(roomID) {
		if w.Active && w.IsJitsi {
			list = append(list, w)
		}
	}
	if len(list) == 0 {
		return nil
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Suspicious != b.Suspicious {
			return !a.Suspicious
		}
		if a.Timestamp != b.Timestamp {
			return a.Timestamp > b.Timestamp
		}
		return a.ID < b.ID
	})
	return &list[0]
}

// conferenceOf describes a widget for the banner.
func (c *Controller) conferenceOf(roomID id.RoomID, w *jitsi.Widget) *Conference {
	conf := &Conference{
		WidgetID:    w.ID,
		CreatorID:   id.UserID(w.Sender),
		CreatorName: c.mx.DisplayName(roomID, id.UserID(w.Sender)),
		Suspicious:  w.Suspicious,
		Reason:      w.Reason,
	}
	if w.Jitsi != nil {
		conf.Domain = w.Jitsi.Domain
		conf.ConferenceID = w.Jitsi.ConferenceID
		conf.IsAudioOnly = w.Jitsi.IsAudioOnly
	}
	return conf
}

// refreshConference publishes ConferenceChanged if the room's conference
// differs from what was last published.
func (c *Controller) refreshConference(roomID id.RoomID) {
	conf := c.Conference(roomID)
	c.mu.Lock()
	prev, known := c.published[roomID]
	same := known && reflect.DeepEqual(prev, conf)
	c.published[roomID] = conf
	c.mu.Unlock()
	if same || (!known && conf == nil) {
		return
	}
	c.publish(ConferenceChanged{RoomID: roomID, Conference: conf})
}

// startDomain returns the domain for a new conference, reading the
// homeserver's well-known first if it was never read.
func (c *Controller) startDomain(ctx context.Context) DomainChoice {
	c.mu.Lock()
	d := c.domain
	c.mu.Unlock()
	if d == nil {
		_ = c.RefreshJitsi(ctx)
		c.mu.Lock()
		d = c.domain
		c.mu.Unlock()
	}
	if d == nil {
		return c.JitsiDomain()
	}
	return DomainChoice{Domain: d.Domain, Source: d.Source}
}

// JitsiDomain says which domain a new conference would use and why.
func (c *Controller) JitsiDomain() DomainChoice {
	c.mu.Lock()
	d := c.domain
	c.mu.Unlock()
	if d == nil {
		choice, _ := jitsi.ChooseDomain(c.cfg.Jitsi.UserPreferredDomain, nil, c.defaultDomain())
		return DomainChoice{Domain: choice.Domain, Source: choice.Source}
	}
	return DomainChoice{Domain: d.Domain, Source: d.Source}
}

// defaultDomain is the shipped default (config.json jitsi.preferredDomain).
func (c *Controller) defaultDomain() string {
	if c.cfg.Jitsi.PreferredDomain != "" {
		return c.cfg.Jitsi.PreferredDomain
	}
	return c.cfg.Jitsi.PreferredDomainAlt
}

// RefreshJitsi re-reads the homeserver's well-known (/jitsi refresh) and
// chooses the start domain again. Without a well-known the choice falls
// back to the config; the error is returned for the status line.
func (c *Controller) RefreshJitsi(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.wkFetch)
	defer cancel()
	wk, err := c.mx.ClientWellKnown(ctx)
	choice, notes := jitsi.ChooseDomain(c.cfg.Jitsi.UserPreferredDomain, wk, c.defaultDomain())
	for _, n := range notes {
		c.log.Warn().Msg(n)
	}
	c.mu.Lock()
	// A failed read keeps a domain the homeserver gave before, rather
	// than falling back to the default because the network blinked.
	if keep := c.domain; err == nil || keep == nil ||
		(keep.Source != jitsi.SourceWellKnownElement && keep.Source != jitsi.SourceWellKnownRiot) || choice.Source == jitsi.SourceUserConfig {
		c.domain = &choice
	}
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("read the homeserver's well-known: %w", err)
	}
	return nil
}
