package dataintegrity

import (
	"fmt"
	"time"

	"backpack/openbadges/problem"
)

// verify checks one proof: first what needs no work (type, purpose,
// dates, encoding), then the canonical forms, then the key.
func (v *verification) verify(p map[string]any) (Result, error) {
	s, info, err := suiteOf(p)
	if err != nil {
		return Result{}, err
	}
	if _, ok := p["previousProof"]; ok {
		return Result{}, problem.New(problem.Unsupported, "the proof is part of a proof chain (previousProof), which Backpack does not support")
	}
	res := Result{Type: s.Type, Cryptosuite: s.Cryptosuite}
	if purpose, _ := p["proofPurpose"].(string); purpose != "assertionMethod" {
		return Result{}, problem.New(problem.SignatureInvalid,
			"the proof's purpose is %s, not assertionMethod: it does not assert the credential", quote(purpose))
	}
	if res.Created, err = dateTime(p, "created"); err != nil {
		return Result{}, err
	}
	if !res.Created.IsZero() && res.Created.After(v.now.Add(ClockSkew)) {
		return Result{}, problem.New(problem.SignatureInvalid,
			"the proof was created in the future (%s)", res.Created.UTC().Format(time.RFC3339))
	}
	expires, err := dateTime(p, "expires")
	if err != nil {
		return Result{}, err
	}
	if !expires.IsZero() && v.now.After(expires) {
		return Result{}, problem.New(problem.SignatureInvalid,
			"the proof expired on %s", expires.UTC().Format(time.RFC3339))
	}
	sg, err := signatureOf(p, s, info)
	if err != nil {
		return Result{}, err
	}
	vm, _ := p["verificationMethod"].(string)
	if vm == "" {
		return Result{}, problem.New(problem.Schema, "the proof has no verificationMethod")
	}

	data, err := v.hashData(p, info, sg.key.hash())
	if err != nil {
		return Result{}, err
	}
	if res.Key, err = v.resolve(v.ctx, vm); err != nil {
		return Result{}, err
	}
	if err := check(sg, res.Key, data); err != nil {
		return Result{}, err
	}
	return res, nil
}

// dateTime reads an optional xsd:dateTime member of the proof. A time
// without a zone is taken as UTC.
func dateTime(p map[string]any, name string) (time.Time, error) {
	v, ok := p[name]
	if !ok || v == nil {
		return time.Time{}, nil
	}
	s, ok := v.(string)
	if ok {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, problem.New(problem.Malformed, "the proof's %s is not a date and time: %s", name, quote(fmt.Sprint(v)))
}

// quote returns s for a message: quoted, escaped and at most 100 bytes.
func quote(s string) string {
	if len(s) > 100 {
		return fmt.Sprintf("%q…", s[:100])
	}
	return fmt.Sprintf("%q", s)
}
