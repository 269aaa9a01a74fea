package web

import (
	"strings"
	"sync"
)

// commonPasswords are passwords of 10 or more characters that lead every
// published list of leaked passwords. Longer lists belong in a data file;
// this catches the choices people make most.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Fields(`
		1234567890 0123456789 0987654321 12345678910 123456789a a123456789 1234567890a
		1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc qwertyuiop qwertyuiop123 asdfghjkl; zxcvbnm123
		password12 password123 password1234 passw0rd123 password01 password! password!!
		iloveyou12 iloveyou123 sunshine123 princess123 football123 baseball123 dragon1234
		welcome123 welcome1234 letmein123 trustno1234 monkey1234 abc1234567 abcd123456
		qwerty1234 qwerty12345 qwerty123456 1111111111 0000000000 2222222222 9999999999
		aaaaaaaaaa 1234512345 1212121212 123123123123 7777777777 5555555555 123qweasdzxc
		administrator admin12345 admin123456 changeme123 backpack123 openbadges badges1234
		superman123 batman1234 starwars123 pokemon123 computer123 internet123 whatever123
	`) {
		m[p] = true
	}
	return m
})

func isCommonPassword(pw string) bool {
	return commonPasswords()[strings.ToLower(pw)]
}
