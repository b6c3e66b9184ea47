package voip

import (
	"crypto/rand"
	"math/big"
	"strconv"
	"time"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n random alphanumerics.
func randomString(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(idAlphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b[i] = idAlphabet[v.Int64()]
	}
	return string(b)
}

// newCallID makes a call ID as js-sdk does: the time in milliseconds and
// 16 random characters.
func newCallID() string {
	return strconv.FormatInt(time.Now().UnixMilli(), 10) + randomString(16)
}
