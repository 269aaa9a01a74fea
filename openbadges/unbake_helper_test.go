package openbadges

import "backpack/openbadges/bake"

func unbakeForTest(b []byte) (string, error) {
	p, err := bake.Unbake(b)
	return p.Text, err
}
