package matrix

import "testing"

func TestComputeRoomName(t *testing.T) {
	cases := []struct {
		name, alias     string
		heroes          []string
		joined, invited int
		want            string
	}{
		{"Project", "#p:x", []string{"Alice"}, 2, 0, "Project"},
		{"  ", "#p:x", []string{"Alice"}, 2, 0, "#p:x"},
		{"", "", []string{"Alice"}, 2, 0, "Alice"},
		{"", "", []string{"Alice", "Bob"}, 3, 0, "Alice and Bob"},
		{"", "", []string{"Alice", "Bob", "Carol"}, 3, 1, "Alice, Bob and Carol"},
		{"", "", []string{"Alice", "Bob"}, 10, 0, "Alice, Bob and 7 others"},
		{"", "", []string{"Alice"}, 2, 1, "Alice and 1 other"},
		{"", "", nil, 1, 0, "Empty room"},
		{"", "", nil, 0, 0, "Empty room"},
		{"", "", []string{"Alice"}, 1, 0, "Empty room (was Alice)"},
		{"", "", []string{"Alice", "Bob"}, 1, 0, "Empty room (was Alice and Bob)"},
	}
	for _, tc := range cases {
		if got := computeRoomName(tc.name, tc.alias, tc.heroes, tc.joined, tc.invited); got != tc.want {
			t.Errorf("computeRoomName(%q, %q, %v, %d, %d) = %q, want %q", tc.name, tc.alias, tc.heroes, tc.joined, tc.invited, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	want := []int{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range want {
		if got := backoff(i + 1); got.Seconds() != float64(w) {
			t.Errorf("backoff(%d) = %v, want %ds", i+1, got, w)
		}
	}
}
