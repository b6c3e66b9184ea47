package calls

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls/jitsi"
)

// Widgets lists a room's active widgets of any type, sorted by ID.
func (c *Controller) Widgets(roomID id.RoomID) []WidgetInfo {
	var out []WidgetInfo
	for _, w := range c.roomWidgets(roomID) {
		if !w.Active {
			continue
		}
		info := WidgetInfo{ID: w.ID, Type: w.Type, Name: w.Name, Suspicious: w.Suspicious, Reason: w.Reason}
		switch {
		case w.Jitsi != nil:
			info.Host = w.Jitsi.Domain
		default:
			if u, err := url.Parse(w.URL); err == nil {
				info.Host = u.Host
				if !w.Suspicious && u.Scheme != "https" {
					info.Suspicious, info.Reason = true, "not https: it cannot be opened"
				}
			}
			// The host as it will be opened: an international name in
			// its xn-- form, so a look-alike shows.
			if clean, err := jitsi.CleanURL(w.URL); err == nil {
				if u, err := url.Parse(clean); err == nil {
					info.Host = u.Host
				}
			}
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// OpenWidget opens an https widget in the browser (or shows its link).
// Jitsi widgets are opened through our wrapper, as JoinConference does;
// other widgets get their URL template filled in as Element fills it.
func (c *Controller) OpenWidget(roomID id.RoomID, widgetID string) {
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		w, ok := c.roomWidgets(roomID)[widgetID]
		if !ok || !w.Active {
			c.status(roomID, true, "There is no widget %q in this room.", widgetID)
			return
		}
		if w.IsJitsi {
			c.openConference(ctx, roomID, &w, start)
			return
		}
		u, err := jitsi.WidgetURL(w, c.user(ctx, roomID, w.ID))
		if err != nil {
			c.status(roomID, true, "This widget cannot be opened: %s", err)
			return
		}
		name := w.Name
		if name == "" {
			name = w.ID
		}
		pu, _ := url.Parse(u)
		c.open(ctx, roomID, fmt.Sprintf("widget %s on %s", name, pu.Host), u, start, "")
	}()
}

// AddWidget adds a custom widget (http/https URL only), as Element's
// /addwidget does: type m.custom, name "Custom", empty data, ID
// encodeURIComponent(roomID_userID_ms). A URL of a conference on our Jitsi
// domain becomes a Jitsi widget, as in Element.
func (c *Controller) AddWidget(roomID id.RoomID, rawURL string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		rawURL := strings.TrimSpace(rawURL)
		if !strings.HasPrefix(rawURL, "https://") && !strings.HasPrefix(rawURL, "http://") {
			c.status(roomID, true, msgSupplyWidgetURL)
			return
		}
		if u, err := url.Parse(rawURL); err != nil || u.Host == "" {
			c.status(roomID, true, msgSupplyWidgetURL)
			return
		}
		if !c.mx.CanSendState(roomID, WidgetEventType) {
			c.status(roomID, true, msgCannotModify)
			return
		}
		me := c.mx.UserID()
		widgetID := jitsi.EncodeURIComponent(string(roomID) + "_" + string(me) + "_" + strconv.FormatInt(time.Now().UnixMilli(), 10))
		content := any(map[string]any{"type": "m.custom", "url": rawURL, "name": "Custom", "data": map[string]any{}})
		if jc, ok := c.preferredConferenceURL(rawURL); ok {
			content = jc
		}
		if _, err := c.mx.SendState(ctx, roomID, WidgetEventType, widgetID, content); err != nil {
			if isForbidden(err) {
				c.status(roomID, true, msgCannotModify)
			} else {
				c.status(roomID, true, "Could not add the widget: %s", err)
			}
			return
		}
		c.status(roomID, false, "Added widget %s.", widgetID)
	}()
}

// preferredConferenceURL turns https://<our Jitsi domain>/<conference>
// into Jitsi widget content, as Element's parsePreferredConferenceUrl.
func (c *Controller) preferredConferenceURL(rawURL string) (any, bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" {
		return nil, false
	}
	if d := c.JitsiDomain().Domain; d == "" || !strings.EqualFold(u.Host, d) {
		return nil, false
	}
	confID := strings.TrimPrefix(u.Path, "/")
	if jitsi.ValidateConferenceID(confID) != nil {
		return nil, false
	}
	content, err := jitsi.NewContent(c.cfg.Jitsi.WrapperURL, jitsi.Conference{Domain: u.Host, ConferenceID: confID})
	if err != nil {
		return nil, false
	}
	// Element's /addwidget stores the wrapper without ?confId= and data
	// {domain, conferenceId, isAudioOnly}.
	base, _, _ := strings.Cut(content.URL, "?")
	_, frag, _ := strings.Cut(content.URL, "#")
	return map[string]any{
		"type": jitsi.TypeJitsi,
		"url":  base + "#" + frag,
		"name": "Jitsi",
		"data": map[string]any{"domain": u.Host, "conferenceId": confID, "isAudioOnly": false},
	}, true
}

// RemoveWidget removes a widget, if the user has the power to.
func (c *Controller) RemoveWidget(roomID id.RoomID, widgetID string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		if err := c.removeWidget(ctx, roomID, widgetID); err != nil {
			c.status(roomID, true, "%s", err)
			return
		}
		c.status(roomID, false, "Removed widget %s.", widgetID)
	}()
}

// removeWidget sends empty content {} on the widget's state key, as
// Element's "Remove for everyone" does.
func (c *Controller) removeWidget(ctx context.Context, roomID id.RoomID, widgetID string) error {
	if w, ok := c.roomWidgets(roomID)[widgetID]; !ok || !w.Active {
		return fmt.Errorf("there is no widget %q in this room", widgetID)
	}
	if !c.mx.CanSendState(roomID, WidgetEventType) {
		return errors.New(msgCannotModify)
	}
	evID, err := c.mx.SendState(ctx, roomID, WidgetEventType, widgetID, struct{}{})
	if err != nil {
		if isForbidden(err) {
			return errors.New(msgCannotModify)
		}
		return fmt.Errorf("could not remove the widget: %w", err)
	}
	c.setOverride(roomID, widgetID, evID, []byte("{}"))
	c.refreshConference(roomID)
	return nil
}
