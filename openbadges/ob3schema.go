package openbadges

import (
	"fmt"
	"strings"

	"backpack/openbadges/problem"
	"backpack/openbadges/schema"
)

// CheckSchema is the check of one credentialSchema entry of an OB 3.0 or
// CLR 2.0 credential.
const CheckSchema = "credential-schema"

// maxSchemaEntries is how many credentialSchema entries are checked; the
// others are reported as skipped.
const maxSchemaEntries = 8

// credentialSchemas is where the schemas named by credentials are found:
// the bundled ones only (see package schema). Tests replace it.
var credentialSchemas = schema.Bundled

// schemaChecks adds one check per credentialSchema entry. A credential
// without credentialSchema gets no check (its shape has been checked by
// readCredential already). An entry is validated when its type is
// 1EdTechJsonSchemaValidator2019 and its schema is bundled: a mismatch
// fails with the code schema and names the first violations by JSON
// pointer. Any other entry (another type, a schema not bundled, one that
// does not compile) is a skipped check, not ok, with a warning: never a
// silent pass, never an error.
func (r *run) schemaChecks(c *credential) {
	raw, ok := c.doc["credentialSchema"]
	if !ok || raw == nil {
		return
	}
	entries, isList := raw.([]any)
	if !isList {
		entries = []any{raw}
	}
	reg := credentialSchemas()
	for i, e := range entries {
		if i == maxSchemaEntries {
			r.skipSchema(problem.TooLarge, fmt.Sprintf("only the first %d of %d credentialSchema entries are checked", maxSchemaEntries, len(entries)))
			return
		}
		o, _ := e.(Object)
		id, typ := str(o, "id"), str(o, "type")
		if id == "" {
			r.skipSchema(problem.Schema, fmt.Sprintf("credentialSchema entry %d is not an object with an id", i+1))
			continue
		}
		name := truncate(id, 120)
		if typ != schema.ValidatorType {
			r.skipSchema(problem.Unsupported, fmt.Sprintf("the schema %s is of type %q; Backpack checks schemas of type %s", name, truncate(typ, 60), schema.ValidatorType))
			continue
		}
		res := reg.Validate(id, map[string]any(c.doc))
		switch res.Status {
		case schema.Valid:
			r.rep.pass(CheckSchema, "matches the schema "+name)
		case schema.Invalid:
			parts := make([]string, len(res.Violations))
			for j, v := range res.Violations {
				parts[j] = v.String()
			}
			more := ""
			if res.Total > len(res.Violations) {
				more = fmt.Sprintf(" (and %d more)", res.Total-len(res.Violations))
			}
			r.rep.fail(CheckSchema, problem.New(problem.Schema, "does not match the schema %s: %s%s", name, strings.Join(parts, "; "), more))
		case schema.Unknown:
			r.skipSchema(problem.Unsupported, truncate(res.Err.Error(), 300))
		default:
			r.skipSchema(problem.Schema, truncate(res.Err.Error(), 300))
		}
	}
}

// skipSchema records a schema check that could not run: not ok, with a
// warning, and no error (it says nothing against the credential).
func (r *run) skipSchema(code Code, msg string) {
	r.rep.Checks = append(r.rep.Checks, Check{Name: CheckSchema, OK: false, Message: "skipped: " + msg})
	r.rep.warn(code, "credentialSchema: "+msg)
}
