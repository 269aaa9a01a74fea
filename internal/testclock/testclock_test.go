package testclock

import (
	"testing"
	"time"
)

func TestShift(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", t0},
		{"+5y", time.Date(2031, 11, 27, 12, 0, 0, 0, time.UTC)},
		{"-5y", time.Date(2021, 11, 27, 12, 0, 0, 0, time.UTC)},
		{"5y", time.Date(2031, 11, 27, 12, 0, 0, 0, time.UTC)},
		{"-3m", time.Date(2026, 8, 27, 12, 0, 0, 0, time.UTC)},
		{"+10d", time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)},
		{"-36h", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := Shift(t0, tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("Shift(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"y", "+5x", "five years", "+y", "1.5y"} {
		if _, err := Shift(t0, in); err == nil {
			t.Errorf("Shift(%q) accepted", in)
		}
	}
}
