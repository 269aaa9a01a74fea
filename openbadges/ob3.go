package openbadges

import (
	"strconv"
	"strings"
	"time"

	"backpack/openbadges/ld"
	"backpack/openbadges/problem"
)

// Open Badges 3.0: a W3C Verifiable Credential (data model 1.1 or 2.0)
// whose subject holds an Achievement.

// VC and OB 3.0 context URLs.
const (
	vcV2Context = "https://www.w3.org/ns/credentials/v2"
	vcV1Context = "https://www.w3.org/2018/credentials/v1"
)

// credential is what the verifier needs of an OB 3.0 credential.
type credential struct {
	doc         Object
	vcVersion   string // "2.0" or "1.1"
	id          string
	issuer      Issuer
	validFrom   time.Time
	validUntil  *time.Time
	subjectID   string
	identifiers []Recipient
	badge       *Badge
	status      any // credentialStatus, as given
	warnings    []string
}

// schemaErr is a shape error naming the offending property's path.
func schemaErr(path, format string, args ...any) error {
	return problem.New(problem.Schema, path+": "+format, args...)
}

// readCredential checks the shape of an OB 3.0 credential and reads it
// into the badge model.
func readCredential(o Object) (*credential, error) {
	c := &credential{doc: o, id: str(o, "id")}
	ctxs := strList(o["@context"])
	switch {
	case len(ctxs) == 0:
		return nil, schemaErr("@context", "missing")
	case ctxs[0] == vcV2Context:
		c.vcVersion = "2.0"
	case ctxs[0] == vcV1Context:
		c.vcVersion = "1.1"
	default:
		return nil, schemaErr("@context[0]", "must be the Verifiable Credentials context")
	}
	obCtx := false
	for _, x := range ctxs[1:] {
		obCtx = obCtx || isOB3Context(x)
	}
	if !obCtx {
		return nil, schemaErr("@context", "the Open Badges 3.0 context is missing")
	}
	// Contexts are never fetched: one Backpack does not bundle cannot be
	// understood, whether or not the proof format needs JSON-LD.
	for _, x := range ctxs {
		if !ld.Known(x) {
			return nil, problem.New(problem.Unsupported, "the context %s is not one Backpack knows; contexts are never fetched", truncate(x, 120))
		}
	}
	if !hasType(o, "VerifiableCredential") {
		return nil, schemaErr("type", "must include VerifiableCredential")
	}
	if !hasType(o, "OpenBadgeCredential", "AchievementCredential") {
		return nil, schemaErr("type", "must include OpenBadgeCredential or AchievementCredential")
	}
	if c.id != "" && !isIRI(c.id) {
		return nil, schemaErr("id", "not a URI")
	}
	if err := c.readIssuer(o["issuer"]); err != nil {
		return nil, err
	}
	if err := c.readDates(o); err != nil {
		return nil, err
	}
	subj, err := subjectOf(o)
	if err != nil {
		return nil, err
	}
	c.subjectID = str(subj, "id")
	ach, ok := subj["achievement"].(Object)
	if !ok {
		return nil, schemaErr("credentialSubject.achievement", "missing")
	}
	b, err := readAchievement(ach)
	if err != nil {
		return nil, err
	}
	for i, x := range list(subj["identifier"]) {
		idObj, ok := x.(Object)
		if !ok {
			return nil, schemaErr("credentialSubject.identifier["+itoa(i)+"]", "not an IdentityObject")
		}
		r, err := readIdentifier(idObj, "credentialSubject.identifier["+itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		c.identifiers = append(c.identifiers, r)
	}
	if c.subjectID == "" && len(c.identifiers) == 0 {
		// OB 3.0 wants one; many issued credentials have neither. The
		// credential stands, but it names nobody it could be matched to.
		c.warnings = append(c.warnings, "the credential does not say whom it was issued to (no subject id or identifier)")
	}
	b.ID, b.Issuer, b.IssuedOn, b.Expires = c.id, c.issuer, c.validFrom, c.validUntil
	if n := str(o, "name"); n != "" && b.Name == "" {
		b.Name = n
	}
	if img := idOf(o["image"]); img != "" && b.Image == "" {
		b.Image = img
	}
	b.Evidence = readEvidence(o["evidence"])
	switch {
	case len(c.identifiers) > 0:
		b.Recipient = c.identifiers[0]
	default:
		b.Recipient = Recipient{Type: "id", Identity: c.subjectID}
	}
	c.badge = b
	c.status = o["credentialStatus"]
	return c, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func isOB3Context(c string) bool {
	return strings.HasPrefix(c, "https://purl.imsglobal.org/spec/ob/v3p0/context")
}

// isIRI accepts absolute URIs with a scheme (https:, urn:, did:).
func isIRI(s string) bool {
	i := strings.IndexByte(s, ':')
	return i > 0 && !strings.ContainsAny(s, " \t\r\n")
}

func (c *credential) readIssuer(v any) error {
	switch v := v.(type) {
	case string:
		if !isIRI(v) {
			return schemaErr("issuer", "not a URI")
		}
		c.issuer = Issuer{ID: v, Name: v}
		c.warnings = append(c.warnings, "the issuer is named only by its id")
	case Object:
		c.issuer = Issuer{ID: str(v, "id"), Name: str(v, "name"), URL: str(v, "url"), Email: str(v, "email"), Image: idOf(v["image"])}
		if c.issuer.ID == "" || !isIRI(c.issuer.ID) {
			return schemaErr("issuer.id", "missing or not a URI")
		}
		if !hasType(v, "Profile") {
			return schemaErr("issuer.type", "must include Profile")
		}
		if c.issuer.Name == "" {
			c.issuer.Name = c.issuer.ID
			c.warnings = append(c.warnings, "the issuer has no name")
		}
	default:
		return schemaErr("issuer", "missing")
	}
	return nil
}

func (c *credential) readDates(o Object) error {
	from, until := "validFrom", "validUntil"
	if c.vcVersion == "1.1" {
		from, until = "issuanceDate", "expirationDate"
	}
	t, strict, err := parseTime(o[from])
	if err != nil {
		return schemaErr(from, "%v", err)
	}
	if !strict {
		return schemaErr(from, "must be a date-time with a time zone")
	}
	c.validFrom = t
	if o[until] != nil {
		u, strict, err := parseTime(o[until])
		if err != nil || !strict {
			return schemaErr(until, "must be a date-time with a time zone")
		}
		c.validUntil = &u
	}
	return nil
}

// subjectOf returns the credential subject (the first, if a list).
func subjectOf(o Object) (Object, error) {
	switch s := o["credentialSubject"].(type) {
	case Object:
		if !hasType(s, "AchievementSubject") && s["type"] != nil {
			return nil, schemaErr("credentialSubject.type", "must include AchievementSubject")
		}
		return s, nil
	case []any:
		if len(s) > 0 {
			if m, ok := s[0].(Object); ok {
				return subjectOf(Object{"credentialSubject": m})
			}
		}
	}
	return nil, schemaErr("credentialSubject", "missing")
}

func readAchievement(a Object) (*Badge, error) {
	const p = "credentialSubject.achievement"
	b := &Badge{Name: str(a, "name"), Description: str(a, "description"), Image: idOf(a["image"]), BadgeClass: str(a, "id"), Tags: strList(a["tag"])}
	if b.BadgeClass == "" {
		return nil, schemaErr(p+".id", "missing")
	}
	if !hasType(a, "Achievement") {
		return nil, schemaErr(p+".type", "must include Achievement")
	}
	if b.Name == "" {
		return nil, schemaErr(p+".name", "missing")
	}
	if b.Description == "" {
		return nil, schemaErr(p+".description", "missing")
	}
	crit, ok := a["criteria"].(Object)
	if !ok {
		return nil, schemaErr(p+".criteria", "missing")
	}
	b.Criteria = Criteria{URL: str(crit, "id"), Narrative: str(crit, "narrative")}
	if b.Criteria.URL == "" && b.Criteria.Narrative == "" {
		return nil, schemaErr(p+".criteria", "needs an id or a narrative")
	}
	for _, al := range list(a["alignment"]) {
		if o, ok := al.(Object); ok {
			b.Alignments = append(b.Alignments, Alignment{TargetName: str(o, "targetName"), TargetURL: str(o, "targetUrl"),
				TargetDescription: str(o, "targetDescription"), TargetFramework: str(o, "targetFramework"), TargetCode: str(o, "targetCode")})
		}
	}
	return b, nil
}

// identityTypes maps OB 3.0 IdentifierTypeEnum values to identity kinds.
var identityTypes = map[string]string{
	"emailAddress": "email", "email": "email",
	"url": "url", "phoneNumber": "telephone", "telephone": "telephone",
}

func readIdentifier(o Object, path string) (Recipient, error) {
	t := str(o, "identityType")
	if t == "" {
		return Recipient{}, schemaErr(path+".identityType", "missing")
	}
	h := str(o, "identityHash")
	if h == "" {
		return Recipient{}, schemaErr(path+".identityHash", "missing")
	}
	if _, ok := o["hashed"].(bool); !ok {
		return Recipient{}, schemaErr(path+".hashed", "must be true or false")
	}
	kind, ok := identityTypes[t]
	if !ok {
		kind = t // kept as is: it matches no identity Backpack holds
	}
	r := Recipient{Type: kind, Identity: h, Hashed: boolOf(o["hashed"]), Salt: str(o, "salt")}
	if r.Hashed && !strings.Contains(h, "$") {
		return Recipient{}, schemaErr(path+".identityHash", "a hashed identity must look like sha256$…")
	}
	return r, nil
}

// matchCredential matches the credential's identifiers (and a URL subject
// id) against ids.
func (c *credential) matchRecipient(ids []Identity) (Identity, bool) {
	for _, r := range c.identifiers {
		if id, ok := MatchRecipient(r, ids); ok {
			return id, true
		}
	}
	if isHTTPURL(c.subjectID) {
		return MatchRecipient(Recipient{Type: "url", Identity: c.subjectID}, ids)
	}
	return Identity{}, false
}
