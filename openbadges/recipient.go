package openbadges

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Identity is an identity the badge may be issued to, as the earner holds
// it (typically one they have verified).
type Identity struct {
	Kind  IdentityKind
	Value string
}

// MatchRecipient reports whether the badge's recipient is one of ids, and
// which. Hashed recipients (sha256$… or md5$…, salted or not, hex in any
// case) are compared by hashing each candidate; emails compare
// case-insensitively: the issuer may have hashed the address in any case,
// so both the address as the earner typed it and its lower-case form are
// tried.
func MatchRecipient(r Recipient, ids []Identity) (Identity, bool) {
	kind := IdentityKind(strings.ToLower(r.Type))
	if kind == "" {
		kind = Email
	}
	for _, id := range ids {
		if id.Kind != kind {
			continue
		}
		_, norm, err := NormalizeIdentity(id.Kind, id.Value)
		if err != nil {
			continue
		}
		candidates := []string{strings.TrimSpace(id.Value), norm}
		if r.Hashed {
			for _, c := range candidates {
				if hashMatches(r.Identity, c+r.Salt) {
					return id, true
				}
			}
			continue
		}
		if _, theirs, err := NormalizeIdentity(kind, r.Identity); err == nil && theirs == norm {
			return id, true
		}
	}
	return Identity{}, false
}

func hashMatches(hashed, plain string) bool {
	alg, want, ok := strings.Cut(hashed, "$")
	if !ok {
		return false
	}
	var sum []byte
	switch strings.ToLower(alg) {
	case "sha256":
		s := sha256.Sum256([]byte(plain))
		sum = s[:]
	case "md5":
		s := md5.Sum([]byte(plain))
		sum = s[:]
	default:
		return false
	}
	return strings.EqualFold(hex.EncodeToString(sum), want)
}

// ReadableRecipient is the recipient's identity if it is not hashed, for
// telling the earner whom a badge was issued to.
func ReadableRecipient(r Recipient) (string, bool) {
	if r.Hashed || r.Identity == "" {
		return "", false
	}
	return r.Identity, true
}
