package openbadges

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"backpack/openbadges/problem"
)

func TestDecodeJSONStrict(t *testing.T) {
	tests := []struct {
		name, in string
		code     problem.Code
	}{
		{"ok", `{"id":"https://a.example/1","n":[1,{"x":2}],"s":"\u00e9"}`, ""},
		{"duplicate top-level key", `{"id":"https://a.example/1","id":"https://evil.example/2"}`, problem.Malformed},
		{"duplicate nested key", `{"a":{"b":1,"c":{"d":1,"d":2}}}`, problem.Malformed},
		{"same key in sibling objects is fine", `{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}`, ""},
		{"trailing value", `{"a":1} {"b":2}`, problem.Malformed},
		{"trailing garbage", `{"a":1} x`, problem.Malformed},
		{"truncated", `{"a":[1,2`, problem.Malformed},
		{"empty", ``, problem.Malformed},
		{"raw newline in string", "{\"a\":\"x\ny\"}", problem.Malformed},
		{"comments", "{\"a\":1 // no\n}", problem.Malformed},
		{"invalid utf-8", "{\"a\":\"\xff\"}", problem.Malformed},
		{"deep", strings.Repeat("[", 65) + strings.Repeat("]", 65), problem.Malformed},
		{"64 deep is fine", strings.Repeat("[", 64) + strings.Repeat("]", 64), ""},
		{"too large", `{"a":"` + strings.Repeat("x", maxJSONBytes) + `"}`, problem.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeJSON([]byte(tt.in))
			if got := problem.CodeOf(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}

func TestDecodeJSONKeepsExactKeysAndNumbers(t *testing.T) {
	o, err := decodeObject([]byte(`{"ID":"x","Id":"y","issuedOn":1359217910}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := o["id"]; ok {
		t.Fatal(`"ID" filled "id"`)
	}
	if n, ok := o["issuedOn"].(json.Number); !ok || n.String() != "1359217910" {
		t.Fatalf("issuedOn = %#v", o["issuedOn"])
	}
	if _, err := decodeObject([]byte(`[1]`)); problem.CodeOf(err) != problem.Malformed {
		t.Fatalf("array accepted as object: %v", err)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"a":1},"b":[1,2,{"c":null}]}`, `{"a":1,"a":2}`, `[[[]]]`, `"x"`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeJSON(b)
		if err != nil {
			if problem.CodeOf(err) == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		// Whatever is accepted, the standard library accepts too.
		var w any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if d.Decode(&w) != nil {
			t.Fatalf("accepted %q, which encoding/json rejects", b)
		}
		_ = v
	})
}
