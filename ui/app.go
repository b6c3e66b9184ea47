// Package ui is termatrix's terminal user interface on tview: the room
// list, the timeline, the composer with its call buttons, the call panel
// and banners, dialogs and the login form. It changes widgets only on the
// UI goroutine: updates from the matrix client and the calls controller
// arrive through subscriptions and are applied with QueueUpdateDraw.
package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/termatrix/termatrix/calls"
	"github.com/termatrix/termatrix/config"
	"github.com/termatrix/termatrix/matrix"
	"github.com/termatrix/termatrix/sanitize"
)

// maxBatch is the most updates or call events applied in one redraw.
// Applying one is cheap (a map write, a list change: rendering waits for
// the draw) and a frame lays out the whole screen, so a burst such as an
// initial sync (one update per state event: about 14,000 for 1,000 rooms)
// takes a few frames; handed over one at a time it took thousands.
const maxBatch = 4096

// Options builds a UI.
type Options struct {
	// Screen is where the UI draws; nil means the real terminal. Tests pass
	// a tcell SimulationScreen.
	Screen tcell.Screen
	// Terminal, when Screen is nil, is the real terminal opened ahead
	// (OpenTerminal); nil: Run opens it.
	Terminal *Terminal
	// Config is the loaded configuration (keys, ui, notifications).
	Config *config.Config
	// Client is a logged-in, running client; nil shows the login form.
	Client *matrix.Client
	// Calls is the account's call controller; nil disables calls.
	Calls *calls.Controller
	// Login logs in with what the login form gives and returns a running
	// client and its calls controller (which may be nil). It is called off
	// the UI goroutine. Nil hides the login form.
	Login func(ctx context.Context, p matrix.LoginParams) (*matrix.Client, *calls.Controller, error)
	// Logout ends the session on the server, removes the session file and
	// closes the client (/logout). It is called off the UI goroutine.
	Logout func(ctx context.Context, c *matrix.Client) error
	// SessionEnded is called (off the UI goroutine) when the server ends
	// the session on its own: it removes the session file and closes the
	// client. Nil does nothing.
	SessionEnded func(c *matrix.Client)
	// Clipboard receives the OSC 52 sequence that copies a link; nil means
	// the terminal itself.
	Clipboard io.Writer
	// Notify shows a desktop notification; nil means notify-send.
	Notify func(title, body string) error
	// FirstFrame, when not nil, is called once on the UI goroutine right
	// after the first frame was handed to the terminal (with a client, the
	// room list is on it). The app starts the account's background work
	// then (app.Sessions.StartAfter): it would otherwise compete with the
	// first frame for the CPU and the store.
	FirstFrame func()
}

// UI is the running terminal interface.
type UI struct {
	opts   Options
	cfg    *config.Config
	keys   *Keymap
	app    *tview.Application
	screen tcell.Screen
	pages  *tview.Pages

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	w    widgets
	s    state
	f    frames    // whole frames or the room list alone (frames.go)
	xfer transfers // the running upload or download (files.go)

	callTicking   atomic.Bool
	statusTicking atomic.Bool
	stopOnce      sync.Once
}

// state is what the UI knows; touched only on the UI goroutine.
type state struct {
	client      *matrix.Client
	calls       *calls.Controller
	unsub       []func()
	sessionCtx  context.Context
	endSession  context.CancelFunc
	rooms       matrix.RoomList
	current     id.RoomID
	timelines   map[id.RoomID]*TimelineView
	viewOrder   []id.RoomID                     // rooms of the built timelines, last used first (views.go)
	names       map[id.RoomID]*matrix.NameIndex // members' names, per room, for the render context
	conferences map[id.RoomID]*calls.Conference
	call        *calls.CallInfo
	ignoredCall string     // the CallID of a ringing call the user ignored
	rtc         rtcUIState // Element Calls (rtcui.go)
	typing      map[id.RoomID][]id.UserID
	sync        matrix.StatusChanged
	syncAt      time.Time
	message     string
	messageErr  bool
	showMembers bool
	widgets     map[id.RoomID][]calls.WidgetInfo
	typingSent  time.Time
	typingRoom  id.RoomID
	lastRead    map[id.RoomID]id.EventID
	loggingIn   bool
	// verification is this session's, once the client has told it.
	verification *matrix.Verification
	// verifyDialogs are the open emoji verification dialogs.
	verifyDialogs verifyDialogs
	// trust is what is known of the members' identities.
	trust memberTrust
	// compose is the reply or edit the composer writes (compose_relation.go).
	compose composeState
}

// New builds the UI. A bad key binding in the config is an error.
func New(o Options) (*UI, error) {
	if o.Config == nil {
		return nil, errors.New("ui: no config")
	}
	keys, err := NewKeymap(o.Config.Keys)
	if err != nil {
		return nil, err
	}
	u := &UI{opts: o, cfg: o.Config, keys: keys, app: tview.NewApplication()}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	if o.Screen != nil {
		u.screen = o.Screen
		u.setFrameScreen(o.Screen, nil, false)
	}
	u.app.EnableMouse(true)
	u.app.EnablePaste(true)
	u.s.showMembers = o.Config.UI.ShowMembers
	u.resetState()
	u.build()
	u.app.SetInputCapture(u.globalKey)
	if o.Client != nil {
		u.attach(o.Client, o.Calls)
	} else if o.Login != nil {
		u.showLogin("")
	} else {
		return nil, errors.New("ui: neither a client nor a login function")
	}
	return u, nil
}

// Run runs the UI until Stop, /quit or the quit key.
func (u *UI) Run() error {
	if u.screen == nil && u.opts.Terminal != nil {
		s, tty, err := u.opts.Terminal.take()
		if err != nil {
			return err
		}
		u.screen = s
		u.setFrameScreen(s, tty, true)
	} else if u.screen == nil {
		s, tty, err := newTerminalScreen()
		if err != nil {
			return err
		}
		u.screen = s
		u.setFrameScreen(s, tty, false)
	}
	u.app.SetBeforeDrawFunc(func(screen tcell.Screen) bool {
		if u.screen == nil {
			u.screen = screen
		}
		return u.beforeDraw(screen)
	})
	u.app.SetMouseCapture(u.mouseCapture)
	err := u.app.Run()
	u.detach()
	u.cancel()
	return err
}

// Stop ends Run. It is safe to call from any goroutine, more than once.
func (u *UI) Stop() {
	u.stopOnce.Do(func() {
		u.cancel()
		u.app.Stop()
	})
}

// queue applies f on the UI goroutine and redraws.
func (u *UI) queue(f func()) {
	select {
	case <-u.ctx.Done():
		return
	default:
	}
	u.app.QueueUpdateDraw(func() {
		u.f.wholeFrame()
		f()
	})
}

// Queue runs f on the UI goroutine and redraws; tests and callers outside
// the package use it to act on the running UI.
func (u *UI) Queue(f func()) { u.queue(f) }

// attach starts showing a client: it subscribes first, then reads the
// rooms, so no update is missed between the two.
func (u *UI) attach(c *matrix.Client, ctl *calls.Controller) {
	u.resetState()
	u.s.client, u.s.calls = c, ctl
	u.s.sessionCtx, u.s.endSession = context.WithCancel(u.ctx)

	updates, stop := c.SubscribeBatches()
	u.s.unsub = append(u.s.unsub, stop)
	ctx := u.s.sessionCtx
	u.wg.Add(1)
	go forward(u, ctx, updates, func(batch []matrix.Update) { u.applyUpdates(c, batch) })
	if ctl != nil {
		events, stopCalls := ctl.SubscribeBatches()
		u.s.unsub = append(u.s.unsub, stopCalls)
		u.wg.Add(1)
		go forward(u, ctx, events, func(batch []calls.Event) {
			for _, ev := range batch {
				if u.s.calls == ctl {
					u.handleCallEvent(ev)
				}
			}
		})
	}
	u.wg.Add(1)
	go u.tick(ctx)
	if ctl != nil {
		// Events published before the subscription are not replayed: ask.
		if info, ok := ctl.ActiveCall(); ok {
			u.s.call = &info
		}
		if r, ok := ctl.Ringing(); ok {
			u.s.rtc.ring = &r
		}
		if info, ok := ctl.ActiveElementCall(); ok {
			u.s.rtc.call = &info
		}
		u.callTicking.Store(u.callConnected())
	}
	u.setRooms(c.RoomList())
	u.pages.SwitchToPage("main")
	u.app.SetFocus(u.w.composer)
	u.refreshAll()
}

// resetState forgets everything about a session.
func (u *UI) resetState() {
	u.s = state{
		showMembers: u.s.showMembers,
		timelines:   map[id.RoomID]*TimelineView{},
		names:       map[id.RoomID]*matrix.NameIndex{},
		conferences: map[id.RoomID]*calls.Conference{},
		rtc:         rtcUIState{sessions: map[id.RoomID][]calls.RTCMember{}},
		typing:      map[id.RoomID][]id.UserID{},
		widgets:     map[id.RoomID][]calls.WidgetInfo{},
		lastRead:    map[id.RoomID]id.EventID{},
		sessionCtx:  u.ctx,
	}
}

// tick redraws the call panel's timer once a second while a call is
// connected, and the reconnect countdown while reconnecting.
func (u *UI) tick(ctx context.Context) {
	defer u.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if u.callTicking.Load() {
				u.queue(u.refreshCallPanel)
			}
			if u.statusTicking.Load() {
				u.queue(u.refreshStatus)
			}
		}
	}
}

// detach stops following the current client.
func (u *UI) detach() {
	for _, f := range u.s.unsub {
		f()
	}
	u.s.unsub = nil
	if u.s.endSession != nil {
		u.s.endSession()
	}
	u.s.client, u.s.calls = nil, nil
	u.callTicking.Store(false)
	u.statusTicking.Store(false)
}

// handleUpdate applies one client update.
func (u *UI) handleUpdate(up matrix.Update) {
	u.threadUpdate(up)
	switch up := up.(type) {
	case matrix.StatusChanged:
		u.s.sync, u.s.syncAt = up, time.Now()
		u.statusTicking.Store(up.RetryIn > 0 || up.State == matrix.StateStalled)
		u.refreshStatus()
	case matrix.RoomsChanged:
		u.setRooms(up.Rooms)
		u.refreshBanner() // who may end the open room's conference can change
	case matrix.TimelineAppended:
		if tv := u.s.timelines[up.RoomID]; tv != nil {
			if up.Reset {
				tv.Reset(up.Events)
			} else {
				tv.Append(up.Events...)
			}
		}
		for _, ev := range up.Events {
			if ev.StateKey != nil {
				u.noteState(up.RoomID, ev)
			}
		}
		if up.RoomID == u.s.current {
			u.markRead()
			u.checkRoomTrust()
		}
	case matrix.HistoryLoaded:
		if tv := u.s.timelines[up.RoomID]; tv != nil {
			tv.Prepend(up.Events, up.ReachedStart)
		}
	case matrix.ReceiptsChanged:
		if tv := u.s.timelines[up.RoomID]; tv != nil {
			tv.UpdateReceipts(up.Receipts)
		}
	case matrix.TypingChanged:
		u.s.typing[up.RoomID] = up.UserIDs
		u.refreshTyping()
	case matrix.LocalEcho:
		u.timeline(up.RoomID).AddEcho(up.TxnID, up.Event)
	case matrix.EchoResolved, matrix.EchoRetrying, matrix.EchoDiscarded:
		u.echoUpdate(up)
	case matrix.StateChanged:
		u.noteState(up.RoomID, up.Event)
	case matrix.Notify:
		u.notify(up)
	case matrix.RoomLeft:
		u.roomLeft(up)
	case matrix.EventsDecrypted, matrix.VerificationChanged, matrix.BackupProgress:
		u.e2eeUpdate(up)
	case matrix.VerificationRequested, matrix.VerificationSAS, matrix.VerificationEnded:
		u.verifyUpdate(up)
	case matrix.LoggedOut:
		if up.Err == nil {
			// Our own /logout: logout() shows the form once the session
			// file and the store are gone, not before.
			return
		}
		if c := u.s.client; c != nil && u.opts.SessionEnded != nil {
			go u.opts.SessionEnded(c)
		}
		u.loggedOut(up.Err)
	}
}

// noteState keeps display names and the member list current.
func (u *UI) noteState(roomID id.RoomID, ev *event.Event) {
	if ev == nil || ev.StateKey == nil {
		return
	}
	switch ev.Type {
	case event.StateMember:
		// A room's names are read from the store when first needed; only
		// those read are kept current (without a client, as in tests,
		// these events are all there is).
		if user, name, ok := matrix.MemberEventName(ev); ok && (u.s.names[roomID] != nil || u.s.client == nil) {
			u.memberNames(roomID).Set(user, name)
		}
		if tv := u.s.timelines[roomID]; tv != nil {
			tv.Invalidate()
		}
		if roomID == u.s.current {
			u.refreshMembers()
		}
	case event.StatePowerLevels:
		if roomID == u.s.current {
			u.refreshMembers()
		}
	case event.StateRoomName, event.StateTopic, event.StateCanonicalAlias:
		if roomID == u.s.current {
			u.refreshHeader()
		}
	}
}

// conference returns a room's Jitsi conference, asking the controller
// the first time (events published before the UI subscribed are not
// replayed).
func (u *UI) conference(roomID id.RoomID) *calls.Conference {
	conf, known := u.s.conferences[roomID]
	if !known && u.s.calls != nil && roomID != "" {
		conf = u.s.calls.Conference(roomID)
		u.s.conferences[roomID] = conf
	}
	return conf
}

// handleCallEvent applies one calls controller event.
func (u *UI) handleCallEvent(ev calls.Event) {
	switch ev := ev.(type) {
	case calls.Status:
		u.say(ev.Error, "%s", sanitize.Line(ev.Text))
	case calls.ShowLink:
		u.showLink(ev)
	case calls.ConferenceChanged:
		u.s.conferences[ev.RoomID] = ev.Conference // nil: known to have none
		u.refreshBanner()
	case calls.RTCSessionChanged, calls.RTCRingChanged, calls.ElementCallChanged:
		u.handleRTCEvent(ev)
	case calls.CallChanged:
		info := ev.Call
		prev := u.s.call
		if info.State == calls.CallEnded {
			u.s.call, u.s.ignoredCall = nil, ""
			u.say(false, "%s", callEndText(info, u.peerName(info)))
		} else {
			u.s.call = &info
			if info.State == calls.CallRinging && info.CallID != u.s.ignoredCall &&
				(prev == nil || prev.CallID != info.CallID || prev.State != calls.CallRinging) {
				u.bell()
				kind := "voice"
				if info.Video {
					kind = "video"
				}
				u.desktopNotify("Incoming "+kind+" call", u.peerName(info)+" is calling")
			}
		}
		u.callTicking.Store(u.callConnected())
		u.refreshCallPanel()
	}
}

// say shows a message in the status line. Callers sanitize remote parts.
func (u *UI) say(isErr bool, format string, args ...any) {
	u.s.message = fmt.Sprintf(format, args...)
	u.s.messageErr = isErr
	u.refreshStatus()
}

// notice shows a status message about something the user did not just
// do (the session's encryption state at login, say): it does not replace
// an error the status line shows, which answers what the user did and
// stays until it expires or something else the user does replaces it.
func (u *UI) notice(format string, args ...any) {
	if u.s.messageErr && u.s.message != "" {
		return
	}
	u.say(false, format, args...)
}

// sayLater shows a status message from another goroutine.
func (u *UI) sayLater(isErr bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	u.queue(func() { u.say(isErr, "%s", msg) })
}

// bg runs protocol work off the UI goroutine with the session's context.
func (u *UI) bg(what string, f func(ctx context.Context, c *matrix.Client) error, done func()) {
	c := u.s.client
	ctx := u.s.sessionCtx
	if c == nil {
		return
	}
	go func() {
		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := f(cctx, c); err != nil {
			if ctx.Err() == nil {
				u.sayLater(true, "%s failed: %s", what, sanitize.Line(err.Error()))
			}
			return
		}
		if done != nil {
			u.queue(done)
		}
	}()
}

// forward applies what arrives on ch on the UI goroutine until ctx ends or
// ch closes: each receive is everything published since the last
// (pubsub's SubscribeBatches), applied in one frame, or in frames of
// maxBatch when it is larger. The caller has done u.wg.Add(1).
func forward[T any](u *UI, ctx context.Context, ch <-chan []T, apply func([]T)) {
	defer u.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case batch, ok := <-ch:
			if !ok {
				return
			}
			for len(batch) > 0 {
				n := min(len(batch), maxBatch)
				part := batch[:n]
				batch = batch[n:]
				u.queue(func() { apply(part) })
			}
		}
	}
}
