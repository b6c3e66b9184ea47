package audio

import "math"

// Goertzel returns the power of frequency hz in samples (at SampleRate),
// normalised by the signal's total power: near 1 for a pure tone at hz,
// near 0 when hz is absent.
func Goertzel(samples []int16, hz float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*hz/SampleRate)
	var s1, s2, total float64
	for _, x := range samples {
		f := float64(x)
		total += f * f
		s0 := f + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	if total == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * power / (float64(len(samples)) * total)
}
