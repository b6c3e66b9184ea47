// Package lkmedia is the LiveKit media of MatrixRTC calls (Element Call):
// it implements rtc.MediaDialer with the LiveKit Go SDK (lksdk, on pion).
// Each Dial joins one SFU's LiveKit room with the JWT the session got,
// subscribes to audio only (video tracks are listed with their size, not
// received), publishes one Opus track from the microphone, and plays all
// remote audio of all the dialer's connections mixed into one sink, paced
// at 20 ms. With MediaConfig.Encrypted, frames are end-to-end encrypted
// the way livekit-client does it for Element Call (framecrypt.go), with
// one 256-slot keyring per remote participant identity.
//
// Opus needs libopus (build tag opus, package audio); without it Dial
// still connects and lists participants and keys, but publishes and plays
// nothing, and Media.AudioProblem says why.
package lkmedia
