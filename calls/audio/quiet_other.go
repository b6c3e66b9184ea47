//go:build cgo && !unix

package audio

func quietStderr() func() { return func() {} }
