package matrix

import (
	"strings"
	"testing"
	"time"
)

// A sync that says how many one-time keys are left always goes to the Olm
// machine; one that does not has the server asked at most once a minute.
func TestOTKCheckDue(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		counted bool
		last    time.Time
		want    bool
	}{
		{"counted", true, now.Add(-time.Second), true},
		{"uncounted, never checked", false, time.Time{}, true},
		{"uncounted, checked 10 s ago", false, now.Add(-10 * time.Second), false},
		{"uncounted, checked a minute ago", false, now.Add(-time.Minute), true},
	}
	for _, tc := range cases {
		if got := otkCheckDue(tc.counted, tc.last, now); got != tc.want {
			t.Errorf("%s: otkCheckDue = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// decodeSync notes whether the response had a one-time-key count, even an
// empty one.
func TestDecodeSyncNotesOTKCount(t *testing.T) {
	for body, want := range map[string]bool{
		`{"next_batch":"s1"}`: false,
		`{"next_batch":"s1","device_one_time_keys_count":{"signed_curve25519":3}}`: true,
		`{"next_batch":"s1","device_one_time_keys_count":{}}`:                      true,
	} {
		b, err := decodeSync(strings.NewReader(body), "", 0)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if b.otkCounted != want {
			t.Errorf("%s: otkCounted = %v, want %v", body, b.otkCounted, want)
		}
	}
}
