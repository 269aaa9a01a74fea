package ld

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"backpack/openbadges/problem"
)

// The RFC 8785 reference test data (testdata/rfc8785, from the
// reference implementation): each input, decoded by encoding/json, gives
// the expected output byte for byte.
func TestJCSReferenceData(t *testing.T) {
	inputs, err := filepath.Glob("testdata/rfc8785/input/*.json")
	if err != nil || len(inputs) < 10 {
		t.Fatalf("%d inputs, %v", len(inputs), err)
	}
	for _, in := range inputs {
		name := filepath.Base(in)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata/rfc8785/output", name))
			if err != nil {
				t.Fatal(err)
			}
			for _, useNumber := range []bool{false, true} {
				d := json.NewDecoder(bytes.NewReader(raw))
				if useNumber {
					d.UseNumber()
				}
				var v any
				if err := d.Decode(&v); err != nil {
					t.Fatal(err)
				}
				got, err := JCS(v)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("UseNumber %v:\ngot  %s\nwant %s", useNumber, got, want)
				}
			}
		})
	}
}

// The number serialisations of RFC 8785 appendix B, given as IEEE 754
// bit patterns, and the samples of the reference implementation's number
// test file.
func TestJCSNumbers(t *testing.T) {
	for _, tc := range []struct{ bits, want string }{
		{"0000000000000000", "0"},
		{"8000000000000000", "0"},
		{"0000000000000001", "5e-324"},
		{"8000000000000001", "-5e-324"},
		{"7fefffffffffffff", "1.7976931348623157e+308"},
		{"ffefffffffffffff", "-1.7976931348623157e+308"},
		{"4340000000000000", "9007199254740992"},
		{"c340000000000000", "-9007199254740992"},
		{"4340000000000001", "9007199254740994"},
		{"4340000000000002", "9007199254740996"},
		{"4430000000000000", "295147905179352830000"},
		{"44b52d02c7e14af5", "9.999999999999997e+22"},
		{"44b52d02c7e14af6", "1e+23"},
		{"44b52d02c7e14af7", "1.0000000000000001e+23"},
		{"444b1ae4d6e2ef4e", "999999999999999700000"},
		{"444b1ae4d6e2ef4f", "999999999999999900000"},
		{"444b1ae4d6e2ef50", "1e+21"},
		{"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
		{"3eb0c6f7a0b5ed8d", "0.000001"},
		{"41b3de4355555553", "333333333.3333332"},
		{"41b3de4355555554", "333333333.33333325"},
		{"41b3de4355555555", "333333333.3333333"},
		{"41b3de4355555556", "333333333.3333334"},
		{"41b3de4355555557", "333333333.33333343"},
		{"becbf647612f3696", "-0.0000033333333333333333"},
		{"43143ff3c1cb0959", "1424953923781206.2"},
	} {
		b, err := hex.DecodeString(tc.bits)
		if err != nil {
			t.Fatal(err)
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(b))
		got, err := JCS(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.bits, got, tc.want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := JCS(f); problem.CodeOf(err) != problem.Malformed {
			t.Errorf("%v: %v", f, err)
		}
	}
}

// What is not I-JSON is refused rather than serialised some way.
func TestJCSRefuses(t *testing.T) {
	for _, tc := range []struct {
		v    any
		code problem.Code
	}{
		{json.Number("1e400"), problem.Malformed},
		{"\xff", problem.Malformed},
		{map[string]any{"\xfe": 1}, problem.Malformed},
		{[]any{int64(3)}, problem.Malformed},
		{nested(maxDepth + 1), problem.TooLarge},
	} {
		if _, err := JCS(tc.v); problem.CodeOf(err) != tc.code {
			t.Errorf("%v: got %v, want %s", tc.v, err, tc.code)
		}
	}
	if _, err := JCS(nested(maxDepth)); err != nil {
		t.Errorf("nesting of %d: %v", maxDepth, err)
	}
}

func nested(depth int) any {
	var v any = "x"
	for range depth {
		v = []any{v}
	}
	return v
}

// FuzzJCS checks that JCS never panics, that its output is JSON which
// decodes to what the input decoded to, and that canonicalising that
// again gives the same bytes.
func FuzzJCS(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/rfc8785/input/*.json")
	for _, in := range inputs {
		if b, err := os.ReadFile(in); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"a\u0000":[1e-7,-0,1e21,"\ud800"],"\u00e9":{"":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			t.Skip()
		}
		out, err := JCS(v)
		if err != nil {
			if problem.CodeOf(err) == "" {
				t.Fatalf("error %v is not a *problem.Error", err)
			}
			return
		}
		var back any
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("output %q is not JSON: %v", out, err)
		}
		again, err := JCS(back)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q then %q (%v)", out, again, err)
		}
		if strings.ContainsAny(string(out), "\n\r\t") {
			t.Fatalf("unescaped control character in %q", out)
		}
	})
}
