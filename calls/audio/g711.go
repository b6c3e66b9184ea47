package audio

// G.711 μ-law and A-law (ITU-T G.711), by arithmetic: 16-bit linear PCM
// in, one byte per sample out, and back.

const (
	ulawBias = 0x84
	ulawClip = 32635
)

// EncodeULaw appends the μ-law bytes of pcm to dst.
func EncodeULaw(dst []byte, pcm []int16) []byte {
	for _, s := range pcm {
		dst = append(dst, linearToULaw(s))
	}
	return dst
}

// DecodeULaw appends the linear samples of μ-law data to dst.
func DecodeULaw(dst []int16, data []byte) []int16 {
	for _, b := range data {
		dst = append(dst, ulawToLinear(b))
	}
	return dst
}

// EncodeALaw appends the A-law bytes of pcm to dst.
func EncodeALaw(dst []byte, pcm []int16) []byte {
	for _, s := range pcm {
		dst = append(dst, linearToALaw(s))
	}
	return dst
}

// DecodeALaw appends the linear samples of A-law data to dst.
func DecodeALaw(dst []int16, data []byte) []int16 {
	for _, b := range data {
		dst = append(dst, alawToLinear(b))
	}
	return dst
}

func linearToULaw(s int16) byte {
	v := int(s)
	sign := 0
	if v < 0 {
		v = -v
		sign = 0x80
	}
	if v > ulawClip {
		v = ulawClip
	}
	v += ulawBias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

func ulawToLinear(b byte) int16 {
	b = ^b
	sign := b & 0x80
	exp := int(b>>4) & 0x07
	mant := int(b & 0x0f)
	v := ((mant << 3) + ulawBias) << exp
	v -= ulawBias
	if sign != 0 {
		return int16(-v)
	}
	return int16(v)
}

func linearToALaw(s int16) byte {
	v := int(s) >> 3 // 13-bit magnitude
	sign := 0x80
	if v < 0 {
		v = -v - 1
		sign = 0
	}
	var out int
	if v < 32 {
		out = v >> 1
	} else {
		exp := 1
		for t := v >> 5; t > 1 && exp < 7; t >>= 1 {
			exp++
		}
		if v >= 4096 {
			v = 4095
			exp = 7
		}
		out = exp<<4 | (v>>exp)&0x0f
	}
	return byte(out|sign) ^ 0x55
}

func alawToLinear(b byte) int16 {
	b ^= 0x55
	sign := b & 0x80
	exp := int(b>>4) & 0x07
	mant := int(b & 0x0f)
	var v int
	if exp == 0 {
		v = mant<<4 + 8
	} else {
		v = (mant<<4 + 0x108) << (exp - 1)
	}
	if sign == 0 {
		return int16(-v)
	}
	return int16(v)
}
