package status

import (
	"encoding/base64"
	"testing"

	"backpack/openbadges/problem"
)

// FuzzBit: any encodedList and index give a bit or a coded error, never a
// panic, in both formats.
func FuzzBit(f *testing.F) {
	dcc := encodedListOf(f, "dcc/lists/e5WK8CbZ1GjycuPombrj")
	for _, s := range []string{
		dcc,
		dcc[1:],
		multibase(f, bitstring(2, 3)),
		base64.StdEncoding.EncodeToString(gz(f, bitstring(3, 9))),
		"uH4sIAAAAAAAAA-I-CHANGED-THISAAwFwBZnztF9QwAAA",
		"", "u", "u====", "H4sI", "uH4sI",
	} {
		for _, i := range []int{0, 6, 7, 8, 23, -1, 99_999, 1 << 40} {
			f.Add(s, i)
		}
	}
	f.Fuzz(func(t *testing.T, encodedList string, index int) {
		for _, format := range []string{Multibase, Base64} {
			_, err := Bit(encodedList, format, index)
			if err == nil {
				if index < 0 || index > MaxIndex {
					t.Fatalf("Bit(%q, %d) accepted the index", format, index)
				}
				continue
			}
			switch problem.CodeOf(err) {
			case problem.Malformed, problem.TooLarge:
			default:
				t.Fatalf("Bit(%q): error %v has no expected code", format, err)
			}
		}
	})
}
