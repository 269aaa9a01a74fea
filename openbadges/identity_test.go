package openbadges

import "testing"

func TestNormalizeIdentity(t *testing.T) {
	tests := []struct {
		kind    IdentityKind
		in      string
		norm    string
		wantErr bool
	}{
		{Email, "Alice@Example.ORG", "alice@example.org", false},
		{Email, "  bob@example.org ", "bob@example.org", false},
		{Email, "Bob <bob@example.org>", "", true},
		{Email, "not-an-email", "", true},
		{Email, "a@localhost", "", true},
		{Email, "", "", true},
		{URL, "HTTPS://Example.org/Me", "https://example.org/Me", false},
		{URL, "javascript:alert(1)", "", true},
		{URL, "https://user:pw@example.org/", "", true},
		{URL, "ftp://example.org/", "", true},
		{Telephone, "+44 (20) 7946-0958", "+442079460958", false},
		{Telephone, "12", "", true},
		{Telephone, "+1 555 CALL", "", true},
		{IdentityKind("did"), "did:key:z6Mk", "", true},
	}
	for _, tt := range tests {
		_, norm, err := NormalizeIdentity(tt.kind, tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("NormalizeIdentity(%s, %q) error = %v, want error %v", tt.kind, tt.in, err, tt.wantErr)
			continue
		}
		if norm != tt.norm {
			t.Errorf("NormalizeIdentity(%s, %q) = %q, want %q", tt.kind, tt.in, norm, tt.norm)
		}
	}
}
