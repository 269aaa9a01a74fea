// Package testclock gives every test one fixed instant to work from, so that
// no test depends on the day it runs.
//
// Tests sign, store and verify at Now (or at instants placed relative to it)
// and hand it to the code under test as its clock. The environment variable
// BACKPACK_TEST_CLOCK_SHIFT moves that instant ("+5y", "-5y", "-3m", "+10d",
// or a Go duration such as "-36h"): CI runs the suite shifted by years in
// both directions, which fails any test that mixes the wall clock with the
// test clock, or that hard-codes a date relative to it.
//
// Files written by others keep their own dates; tests of them use a fixed
// instant of their own (see Fixed), which the shift leaves alone.
package testclock

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Env names the environment variable that shifts the test clock.
const Env = "BACKPACK_TEST_CLOCK_SHIFT"

// base is the unshifted instant: the day the first of these tests was written.
var base = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

var (
	once    sync.Once
	shifted time.Time
	bad     error
)

// Now is the test clock's instant: a fixed time, moved by BACKPACK_TEST_CLOCK_SHIFT.
// It panics if the variable cannot be read, so a typo cannot pass as a
// shifted run.
func Now() time.Time {
	once.Do(func() { shifted, bad = Shift(base, os.Getenv(Env)) })
	if bad != nil {
		panic(fmt.Sprintf("testclock: %s: %v", Env, bad))
	}
	return shifted
}

// Func returns a clock function that always answers Now, for the Now fields
// of the code under test.
func Func() func() time.Time {
	t := Now()
	return func() time.Time { return t }
}

// Date is Now moved by the given years, months and days: placing an expiry
// date or an issuance date relative to the test clock.
func Date(years, months, days int) time.Time { return Now().AddDate(years, months, days) }

// RFC3339 formats Date(years, months, days) for a badge's JSON.
func RFC3339(years, months, days int) string {
	return Date(years, months, days).Format(time.RFC3339)
}

// Fixed returns an instant that the shift does not move, for tests of files
// whose dates were written by others. The caller gives the date, so the file's
// own dates and the instant are read side by side.
func Fixed(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 12, 0, 0, 0, time.UTC)
}

// Shift moves t by s: "" (no move), "+5y", "-5y", "-3m", "+10d", or a
// time.ParseDuration string.
func Shift(t time.Time, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return t, nil
	}
	if n := len(s); n >= 2 && strings.ContainsRune("ymd", rune(s[n-1])) {
		v, err := strconv.Atoi(strings.TrimPrefix(s[:n-1], "+"))
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: want a signed number of years (y), months (m) or days (d), or a Go duration", s)
		}
		switch s[n-1] {
		case 'y':
			return t.AddDate(v, 0, 0), nil
		case 'm':
			return t.AddDate(0, v, 0), nil
		default:
			return t.AddDate(0, 0, v), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want a signed number of years (y), months (m) or days (d), or a Go duration", s)
	}
	return t.Add(d), nil
}
