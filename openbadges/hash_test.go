package openbadges

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
)

func md5hex(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func sha256hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
