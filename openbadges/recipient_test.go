package openbadges

import "testing"

func TestMatchRecipient(t *testing.T) {
	nobody := []Identity{{Email, "nobody@example.org"}}
	tests := []struct {
		name string
		r    Recipient
		ids  []Identity
		want bool
	}{
		// Values from the Open Badges 2.0 spec and validator (VERIFICATION.md 2.8).
		{"sha256 salted", Recipient{Type: "email", Hashed: true, Salt: "deadsea",
			Identity: "sha256$ecf5409f3f4b91ab60cc5ef4c02aef7032354375e70cf4d8e43f6a1d29891942"}, nobody, true},
		{"sha256 upper-case hex", Recipient{Type: "email", Hashed: true, Salt: "deadsea",
			Identity: "SHA256$ECF5409F3F4B91AB60CC5EF4C02AEF7032354375E70CF4D8E43F6A1D29891942"}, nobody, true},
		{"sha256 wrong salt", Recipient{Type: "email", Hashed: true, Salt: "deadsee",
			Identity: "sha256$ecf5409f3f4b91ab60cc5ef4c02aef7032354375e70cf4d8e43f6a1d29891942"}, nobody, false},
		{"0.5.1 salted", Recipient{Type: "email", Hashed: true, Salt: "sel gris",
			Identity: "sha256$85c4196c5516561cef673642157499b70066cb1070852b2a37fdbf3cc599b087"}, []Identity{{Email, "test@example.com"}}, true},
		{"md5 unsalted", Recipient{Type: "email", Hashed: true, Identity: "md5$" + md5hex("alice@example.org")},
			[]Identity{{Email, "alice@example.org"}}, true},
		{"hashed in upper case, earner typed lower", Recipient{Type: "email", Hashed: true, Salt: "s", Identity: "sha256$" + sha256hex("Alice@Example.org"+"s")},
			[]Identity{{Email, "Alice@Example.org"}}, true},
		{"plain email any case", Recipient{Type: "email", Identity: "ALICE@example.org"}, []Identity{{Email, "alice@EXAMPLE.org"}}, true},
		{"plain email other person", Recipient{Type: "email", Identity: "bob@example.org"}, []Identity{{Email, "alice@example.org"}}, false},
		{"url", Recipient{Type: "url", Identity: "https://Alice.example/"}, []Identity{{URL, "https://alice.example/"}}, true},
		{"url does not match an email identity", Recipient{Type: "url", Identity: "alice@example.org"}, []Identity{{Email, "alice@example.org"}}, false},
		{"telephone", Recipient{Type: "telephone", Identity: "+442079460958"}, []Identity{{Telephone, "+44 20 7946 0958"}}, true},
		{"unknown hash algorithm", Recipient{Type: "email", Hashed: true, Identity: "sha1$" + sha256hex("alice@example.org")}, []Identity{{Email, "alice@example.org"}}, false},
		{"no identities", Recipient{Type: "email", Identity: "alice@example.org"}, nil, false},
	}
	for _, tt := range tests {
		if _, got := MatchRecipient(tt.r, tt.ids); got != tt.want {
			t.Errorf("%s: matched = %v, want %v", tt.name, got, tt.want)
		}
	}
}
