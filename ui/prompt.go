package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// prompt is a dialog that asks for one line of text. Masked, for a secret
// (a password, a recovery key, a passphrase), its field shows one * per
// character and never the text; Enter hands the text to onSubmit and
// clears the field, Esc drops it. Nothing keeps the text afterwards.
type prompt struct {
	*dialog
	input    *tview.InputField
	onSubmit func(text string)
}

// newPrompt makes a prompt with explaining lines above a field labelled
// label. onSubmit runs on the UI goroutine after the prompt closed, so it
// may open the next dialog.
func newPrompt(title string, lines []Line, label string, masked bool, onSubmit func(text string)) *prompt {
	in := tview.NewInputField()
	in.SetLabel(label + " ")
	in.SetLabelStyle(tcell.StyleDefault.Background(tcell.ColorBlack).Foreground(tcell.ColorWhite).Bold(true))
	in.SetFieldStyle(tcell.StyleDefault.Background(tcell.ColorDarkSlateGray).Foreground(tcell.ColorWhite))
	if masked {
		in.SetMaskCharacter('*')
	}
	// The field goes on the row after a blank one below the lines.
	all := append(append([]Line(nil), lines...), Line{}, plain(" ", styleText))
	p := &prompt{dialog: newDialog(title, all, "Enter confirm · Esc cancel"), input: in, onSubmit: onSubmit}
	p.maxW = 80 // a recovery key (59 columns) fits the field whole
	return p
}

// Draw draws the dialog scrolled to its end, then the field on its last row.
func (p *prompt) Draw(screen tcell.Screen) {
	p.offset = 1 << 20 // the field, at the bottom, always shows
	p.dialog.Draw(screen)
	if t := p.tail; t.ok {
		p.input.SetRect(t.x, t.y, t.w, 1)
		p.input.Draw(screen)
	}
}

// Focus gives the focus to the field, so its cursor shows.
func (p *prompt) Focus(delegate func(p tview.Primitive)) { delegate(p.input) }

// HasFocus says whether the field has the focus.
func (p *prompt) HasFocus() bool { return p.input.HasFocus() || p.Box.HasFocus() }

// InputHandler submits on Enter, cancels on Esc and gives every other key
// to the field.
func (p *prompt) InputHandler() func(event *tcell.EventKey, setFocus func(p tview.Primitive)) {
	return p.WrapInputHandler(func(ev *tcell.EventKey, setFocus func(p tview.Primitive)) {
		switch ev.Key() {
		case tcell.KeyEnter:
			text := p.input.GetText()
			p.input.SetText("")
			p.close()
			if p.onSubmit != nil {
				p.onSubmit(text)
			}
		case tcell.KeyEscape:
			p.input.SetText("")
			p.close()
		default:
			if h := p.input.InputHandler(); h != nil {
				h(ev, setFocus)
			}
		}
	})
}

// PasteHandler pastes into the field, as one line: a key copied with its
// line break (or over two lines) still goes in whole.
func (p *prompt) PasteHandler() func(text string, setFocus func(p tview.Primitive)) {
	return p.WrapPasteHandler(func(text string, setFocus func(p tview.Primitive)) {
		text = strings.TrimRight(text, "\r\n")
		text = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(text)
		if h := p.input.PasteHandler(); h != nil {
			h(text, setFocus)
		}
	})
}

// confirm asks a yes/no question: y runs onYes (after the question
// closed), n or Esc closes it; Enter does neither, so it never confirms
// by accident.
func (u *UI) confirm(title string, lines []Line, hint string, onYes func()) {
	d := newDialog(title, lines, hint)
	d.maxW = 70
	d.onKey = func(ev *tcell.EventKey) bool {
		if ev.Key() == tcell.KeyRune {
			switch ev.Rune() {
			case 'y', 'Y':
				d.close()
				onYes()
				return true
			case 'n', 'N':
				d.close()
				return true
			}
		}
		return ev.Key() == tcell.KeyEnter
	}
	u.showDialog("confirm", d)
}
