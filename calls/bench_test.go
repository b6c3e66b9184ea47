package calls

import (
	"testing"
	"time"
)

// BenchmarkPressToBrowser measures, on the local stack, the time from a
// key press to the browser opener being called: "start" creates the
// widget (power check, domain, auth lookup, state PUT), "join" opens the
// room's existing conference.
func BenchmarkPressToBrowser(b *testing.B) {
	st := stack.Get(b)
	g := newGroup(b, st)
	rec := newBrowserRecorder(b)
	client := liveClient(b, st, g.alice)
	ctl, events := controller(b, client, loadConfig(b, "", rec.cmd), nil, nil)
	waitMembers(b, client, g.roomID, 3)
	opened := 0

	b.Run("start", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			ctl.Video(g.roomID)
			opened++
			rec.waitOpened(b, opened)
			total += ctl.LastOpenLatency()
			b.StopTimer()
			nextEvent[ConferenceChanged](b, events, func(c ConferenceChanged) bool { return c.Conference != nil })
			ctl.EndConference(g.roomID)
			nextEvent[ConferenceChanged](b, events, func(c ConferenceChanged) bool { return c.Conference == nil })
			waitFor(b, func() bool { return ctl.Conference(g.roomID) == nil })
			b.StartTimer()
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/press-to-open")
	})
	b.Run("join", func(b *testing.B) {
		ctl.Video(g.roomID)
		opened++
		rec.waitOpened(b, opened)
		b.ResetTimer()
		var total time.Duration
		for i := 0; i < b.N; i++ {
			ctl.JoinConference(g.roomID)
			opened++
			rec.waitOpened(b, opened)
			total += ctl.LastOpenLatency()
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/press-to-open")
	})
}
