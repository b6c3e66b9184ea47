package voip

import "strings"

// conformDirections makes each media section of an answer agree with the
// offer's direction, as JSEP requires: a sendonly offer (a hold) gets
// recvonly or inactive, a recvonly offer sendonly or inactive, an inactive
// one inactive. pion answers sendrecv whenever it has a track, which
// Chromium refuses ("Incompatible receive direction"); pion also insists
// on applying its own answer unchanged, so this rewrites only the copy
// sent to the peer.
func conformDirections(offer, answer string) string {
	offDirs := sectionDirections(offer)
	lines := strings.Split(answer, "\r\n")
	section := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "m=") {
			section++
			continue
		}
		if section < 0 || section >= len(offDirs) {
			continue
		}
		d, ok := strings.CutPrefix(l, "a=")
		if !ok || !isDirection(d) {
			continue
		}
		lines[i] = "a=" + allowed(offDirs[section], d)
	}
	return strings.Join(lines, "\r\n")
}

// sectionDirections lists each media section's direction (sendrecv when
// none is given).
func sectionDirections(sdp string) []string {
	var dirs []string
	for _, l := range strings.Split(sdp, "\r\n") {
		if strings.HasPrefix(l, "m=") {
			dirs = append(dirs, "sendrecv")
			continue
		}
		if d, ok := strings.CutPrefix(l, "a="); ok && isDirection(d) && len(dirs) > 0 {
			dirs[len(dirs)-1] = d
		}
	}
	return dirs
}

func isDirection(d string) bool {
	return d == "sendrecv" || d == "sendonly" || d == "recvonly" || d == "inactive"
}

// allowed narrows our answer direction to what the offer permits.
func allowed(offer, ours string) string {
	send := ours == "sendrecv" || ours == "sendonly"
	recv := ours == "sendrecv" || ours == "recvonly"
	// We may send only if the offerer receives, receive only if it sends.
	send = send && (offer == "sendrecv" || offer == "recvonly")
	recv = recv && (offer == "sendrecv" || offer == "sendonly")
	switch {
	case send && recv:
		return "sendrecv"
	case send:
		return "sendonly"
	case recv:
		return "recvonly"
	}
	return "inactive"
}
