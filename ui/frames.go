package ui

import (
	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/termatrix/termatrix/matrix"
)

// Drawing only what changed. Most of what a steady trickle of messages
// brings lands in rooms out of sight, where the only visible change is the
// room list's row; laying out the whole screen for it (timeline, header,
// composer, footer) cost most of the UI's share of each message. A batch of
// updates that changes nothing but the room list asks for a partial frame:
// the frame screen keeps the last frame, only the room list draws over it,
// and only its rows are compared for the terminal. Any other frame (keys,
// mouse, resizes, dialogs, every other update) lays out everything.

// frames is what decides between a whole frame and the room list alone;
// touched only on the UI goroutine.
type frames struct {
	screen *frameScreen // nil until Run has one (tests may draw without)
	// input is set when the user acted since the last whole frame: what
	// a key or click changed may not have been drawn yet.
	input bool
	// partialFrames counts the frames that drew the room list alone.
	partialFrames int
}

// setFrameScreen wraps a terminal screen in the frame buffer tview draws
// on; opened says the screen was initialised already (OpenTerminal), so
// tview's Init of it is skipped once.
func (u *UI) setFrameScreen(s tcell.Screen, tty *frameTty, opened bool) {
	u.f.screen = newFrameScreen(s)
	u.f.screen.opened = opened
	u.f.screen.tty = tty
	u.f.screen.firstShown = u.opts.FirstFrame
	u.app.SetScreen(u.f.screen)
}

// beforeDraw draws a partial frame (the room list alone) and says so, or
// leaves the whole frame to tview.
func (u *UI) beforeDraw(screen tcell.Screen) bool {
	if u.f.screen == nil || !u.f.screen.Partial() {
		u.f.input = false
		return false
	}
	u.f.partialFrames++
	u.w.roomList.Draw(screen)
	return true
}

// userInput notes that the user acted: the next frame lays out everything.
func (u *UI) userInput() {
	u.f.input = true
	u.f.wholeFrame()
}

// wholeFrame makes the next frame lay out everything, whatever an earlier
// batch asked: each change on the UI goroutine decides for the frame that
// follows it (a frame that never came leaves no partial one behind).
func (f *frames) wholeFrame() {
	if f.screen != nil {
		f.screen.keep = false
	}
}

// mouseCapture notes mouse input (tview draws only when a handler took it).
func (u *UI) mouseCapture(ev *tcell.EventMouse, action tview.MouseAction) (*tcell.EventMouse, tview.MouseAction) {
	u.userInput()
	return ev, action
}

// applyUpdates applies a batch of client c's updates in one frame (those
// that arrive once c is no longer shown are dropped), and asks for a
// partial frame when all they change on screen is the room list.
func (u *UI) applyUpdates(c *matrix.Client, batch []matrix.Update) {
	front, _ := u.pages.GetFrontPage()
	listOnly := u.f.screen != nil && !u.f.input && u.s.current != "" && front == "main" && (u.w.slot.thread == nil || u.w.slot.thread.room == u.s.current)
	for _, up := range batch {
		if u.s.client != c {
			continue
		}
		if listOnly && !u.onlyRoomListChanges(up) {
			listOnly = false
		}
		u.handleUpdate(up)
	}
	if listOnly {
		u.f.screen.keepFrame()
	}
}

// onlyRoomListChanges says whether applying up changes nothing on screen
// but the room list: news of rooms out of sight, and a room list in which
// the open room's entry (the header's source) is as it was.
func (u *UI) onlyRoomListChanges(up matrix.Update) bool {
	cur := u.s.current
	switch up := up.(type) {
	case matrix.RoomsChanged:
		was, ok := u.w.roomList.Room(cur)
		if !ok {
			return false
		}
		is, ok := up.Rooms.Room(cur)
		return ok && is == was
	case matrix.TimelineAppended:
		return up.RoomID != cur
	case matrix.StateChanged:
		return up.RoomID != cur
	case matrix.ReceiptsChanged:
		return up.RoomID != cur
	case matrix.TypingChanged:
		return up.RoomID != cur
	case matrix.HistoryLoaded:
		return up.RoomID != cur
	case matrix.Notify:
		return true // the bell and the desktop: nothing drawn
	}
	return false
}
