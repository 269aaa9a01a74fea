package openbadges

import (
	"net/url"
	"strings"
	"time"

	"backpack/openbadges/problem"
)

// Open Badges 0.5, 1.0, 1.1 and 2.0 share one shape once the older ones are
// upgraded: an Assertion pointing to a BadgeClass pointing to an Issuer.

// Versions.
const (
	v05 = "0.5"
	v10 = "1.0"
	v11 = "1.1"
	v20 = "2.0"
	v30 = "3.0"
)

// ob2Version detects the version of an Open Badges 0.5–2.0 assertion
// (the 1EdTech validator's rule): a string @context names v1 or v2; without
// one a string recipient means 0.5, anything else 1.0.
func ob2Version(a Object) string {
	switch c := a["@context"].(type) {
	case string:
		switch {
		case strings.Contains(c, "/v1"), strings.HasSuffix(c, "v1"):
			return v11
		case strings.Contains(c, "/v2"), strings.HasSuffix(c, "v2"):
			return v20
		}
		return v20
	case nil:
		// A string recipient is 0.5's, unless the rest is 1.0-shaped (the
		// badge by URL, a verify object): then it is a 1.0 assertion with
		// a bad recipient (Mozilla's validator draws the line there).
		_, stringRecipient := a["recipient"].(string)
		_, embeddedBadge := a["badge"].(Object)
		if stringRecipient && (embeddedBadge || a["verify"] == nil) {
			return v05
		}
		return v10
	}
	return v20
}

// obContexts are the published Open Badges 1.1 and 2.0 JSON-LD contexts.
var obContexts = map[string]string{
	"https://w3id.org/openbadges/v1":            v11,
	"https://openbadgespec.org/v1/context.json": v11,
	"https://w3id.org/openbadges/v2":            v20,
	"https://openbadgespec.org/v2/context.json": v20,
}

// checkContext requires the document's @context to include the Open
// Badges context of its version (extension contexts may come along).
func checkContext(o Object, version string) error {
	for _, c := range strList(o["@context"]) {
		if obContexts[strings.TrimSuffix(c, "/")] == version {
			return nil
		}
	}
	return problem.New(problem.Schema, "@context: not the Open Badges %s context", version)
}

// obClasses are the class names the Open Badges 2.0 context defines.
var obClasses = map[string]bool{
	"Assertion": true, "BadgeClass": true, "Issuer": true, "Profile": true, "IdentityObject": true,
	"VerificationObject": true, "HostedBadge": true, "SignedBadge": true, "hosted": true, "signed": true,
	"Criteria": true, "Evidence": true, "Image": true, "AlignmentObject": true, "Alignment": true,
	"CryptographicKey": true, "RevocationList": true, "Endorsement": true, "EndorsementClaim": true,
	"Extension": true, "email": true, "url": true, "telephone": true, "id": true,
}

// checkTypes requires every "type" of a 2.0 node to be a class the Open
// Badges context defines, a compact IRI or an absolute IRI: a bare unknown
// word means nothing in JSON-LD and is refused, as is an empty type list.
func checkTypes(o Object) error {
	types := strList(o["type"])
	if _, present := o["type"]; present && len(types) == 0 {
		return problem.New(problem.Schema, "type: empty")
	}
	for _, t := range types {
		if obClasses[t] || strings.Contains(t, ":") {
			continue
		}
		return problem.New(problem.Schema, "type: %q is not a class Open Badges defines", truncate(t, 60))
	}
	return nil
}

// isOB3 reports whether a JSON object is a Verifiable Credential.
func isOB3(o Object) bool {
	if hasType(o, "VerifiableCredential", "OpenBadgeCredential", "AchievementCredential") {
		return true
	}
	for _, c := range strList(o["@context"]) {
		if strings.HasPrefix(c, "https://www.w3.org/2018/credentials") || strings.HasPrefix(c, "https://www.w3.org/ns/credentials") {
			return true
		}
	}
	return false
}

// assertion is what the verifier needs of an OB 0.5–2.0 assertion.
type assertion struct {
	version      string
	id           string // 2.0 id, or the 1.x verify.url
	uid          string
	verifyType   string // "hosted" or "signed"
	verifyURL    string // 1.x: hosted assertion URL, or signed: public key URL
	creator      string // 2.0 signed: verification.creator
	recipient    Recipient
	issuedOn     time.Time
	expires      *time.Time
	badge        any // BadgeClass URL or embedded object
	image        string
	narrative    string
	evidence     []Evidence
	revoked      bool
	revokeReason string
	warnings     []string
}

// readAssertion normalises an OB 0.5–2.0 assertion. base is where it came
// from (for 0.5, which has no id of its own), or "".
func readAssertion(a Object, base string) (*assertion, error) {
	as := &assertion{version: ob2Version(a), uid: str(a, "uid")}
	if boolOf(a["revoked"]) {
		as.revoked = true
		as.revokeReason = str(a, "revocationReason")
		as.id = str(a, "id")
		return as, nil
	}
	switch as.version {
	case v05:
		as.id = base
		as.verifyType = "hosted"
		as.verifyURL = base
		// A 0.5 assertion has no id, but some carry a 1.0-style verify.url:
		// given as a file, it is checked against that hosted copy (as
		// validator-core does); fetched, the URL it came from counts.
		if u := str(verifyObject(a), "url"); base == "" && u != "" {
			as.id, as.verifyURL = u, u
		}
		r, _ := a["recipient"].(string)
		as.recipient = Recipient{Type: "email", Identity: strings.TrimSpace(r), Hashed: !strings.Contains(r, "@"), Salt: str(a, "salt")}
		as.badge = a["badge"]
		if _, ok := as.badge.(Object); !ok {
			return nil, problem.New(problem.Schema, "the 0.5 assertion has no embedded badge")
		}
		as.evidence = readEvidence(a["evidence"])
		as.image = str(a, "image")
		t, _, err := parseTime(firstOf(a, "issued_on", "issuedOn"))
		if err != nil && firstOf(a, "issued_on", "issuedOn") != nil {
			return nil, problem.New(problem.Schema, "issued_on: %v", err)
		}
		as.issuedOn = t
		if err := readExpires(a, as); err != nil {
			return nil, err
		}
		return as, nil
	case v10, v11:
		v := verifyObject(a)
		t, err := verificationType(v)
		if err != nil {
			return nil, err
		}
		as.verifyType = t
		as.verifyURL = str(v, "url")
		as.id = str(a, "id")
		if as.id == "" && as.verifyType == "hosted" {
			as.id = as.verifyURL
		}
	default: // 2.0
		as.id = str(a, "id")
		v := verifyObject(a)
		if v == nil {
			return nil, problem.New(problem.Schema, "verification: missing")
		}
		t, err := verificationType(v)
		if err != nil {
			return nil, err
		}
		as.verifyType = t
		as.creator = idOf(v["creator"])
		as.verifyURL = str(v, "url") // legacy 1.x form some 2.0 issuers keep
		if as.id == "" {
			as.id = as.verifyURL
		}
		if as.id == "" {
			return nil, problem.New(problem.Schema, "id: missing")
		}
		if !hasType(a, "Assertion") {
			return nil, problem.New(problem.Schema, "type: not an Assertion")
		}
		if err := checkTypes(a); err != nil {
			return nil, err
		}
		if err := checkContext(a, v20); err != nil {
			return nil, err
		}
		if strings.HasPrefix(idOf(a["image"]), "data:") {
			return nil, problem.New(problem.Schema, "image: an assertion's image must be a web address, not embedded data")
		}
		if err := checkExtensions(a); err != nil {
			return nil, err
		}
	}
	switch as.verifyType {
	case "hosted", "signed":
	default:
		return nil, problem.New(problem.Schema, "verify.type: %q is neither hosted nor signed", truncate(as.verifyType, 40))
	}
	rec, ok := a["recipient"].(Object)
	if !ok {
		return nil, problem.New(problem.Schema, "recipient: must be an IdentityObject with type and identity")
	}
	as.recipient = Recipient{Type: strings.ToLower(str(rec, "type")), Identity: str(rec, "identity"), Hashed: boolOf(rec["hashed"]), Salt: str(rec, "salt")}
	if as.recipient.Identity == "" {
		return nil, problem.New(problem.Schema, "recipient.identity: missing")
	}
	if as.recipient.Type == "" {
		as.recipient.Type = "email"
	}
	if as.recipient.Hashed && !strings.Contains(as.recipient.Identity, "$") {
		return nil, problem.New(problem.Schema, "recipient.identity: a hashed identity must look like sha256$… or md5$…")
	}
	as.badge = a["badge"]
	if as.badge == nil || idOf(as.badge) == "" && obj(a, "badge") == nil {
		return nil, problem.New(problem.Schema, "badge: missing")
	}
	t, strict, err := parseTime(a["issuedOn"])
	if err != nil {
		return nil, problem.New(problem.Schema, "issuedOn: %v", err)
	}
	if !strict && as.version == v20 {
		as.warnings = append(as.warnings, "issuedOn has no time zone; read as UTC")
	}
	as.issuedOn = t
	if err := readExpires(a, as); err != nil {
		return nil, err
	}
	as.image = idOf(a["image"])
	as.narrative = str(a, "narrative")
	as.evidence = readEvidence(a["evidence"])
	return as, nil
}

// verifyObject is an assertion's verification object: "verification"
// (2.0) or "verify" (1.x; an alias in the 2.0 context).
func verifyObject(a Object) Object {
	if v := obj(a, "verification"); v != nil {
		return v
	}
	return obj(a, "verify")
}

// blockcertsTypes are the verification types of Blockcerts, which extends
// Open Badges 2.0 with a blockchain proof Backpack does not check.
var blockcertsTypes = map[string]bool{
	"merkleproofverification2017": true, "merkleproofverification2019": true, "chainpointsha256v2": true,
}

// verificationType reads verification.type (1.x verify.type), a string or
// a list (OB 2.0 extensions and Blockcerts add types such as "Extension"):
// "hosted" or "signed" when the list holds HostedBadge or SignedBadge
// (never both). A list naming only a verification method of another
// scheme (Blockcerts' MerkleProofVerification2017, or any IRI) is a badge
// Backpack cannot check: unsupported. Anything else is a schema error.
func verificationType(v Object) (string, error) {
	types := strList(v["type"])
	if _, ok := v["type"]; ok && len(types) == 0 {
		return "", problem.New(problem.Schema, "verification.type: must be a string or a list of strings")
	}
	kind, other := "", ""
	for _, t := range types {
		var k string
		switch strings.ToLower(t) {
		case "hosted", "hostedbadge":
			k = "hosted"
		case "signed", "signedbadge":
			k = "signed"
		case "extension", "verificationobject":
			continue
		default:
			if other == "" {
				other = t
			}
			continue
		}
		if kind != "" && kind != k {
			return "", problem.New(problem.Schema, "verification.type: both HostedBadge and SignedBadge")
		}
		kind = k
	}
	switch {
	case kind != "":
		return kind, nil
	case other != "" && (blockcertsTypes[strings.ToLower(other)] || strings.Contains(other, ":")):
		return "", problem.New(problem.Unsupported, "verification.type: %q is a verification method Backpack does not check (only HostedBadge and SignedBadge)", truncate(other, 60))
	case len(types) == 0:
		return "", problem.New(problem.Schema, "verification.type: missing (HostedBadge or SignedBadge)")
	}
	return "", problem.New(problem.Schema, "verification.type: %q is neither HostedBadge nor SignedBadge", truncate(strings.Join(types, ", "), 60))
}

func readExpires(a Object, as *assertion) error {
	if a["expires"] == nil {
		return nil
	}
	t, _, err := parseTime(a["expires"])
	if err != nil {
		return problem.New(problem.Schema, "expires: %v", err)
	}
	as.expires = &t
	return nil
}

func firstOf(o Object, keys ...string) any {
	for _, k := range keys {
		if v, ok := o[k]; ok {
			return v
		}
	}
	return nil
}

func readEvidence(v any) []Evidence {
	var out []Evidence
	for _, e := range list(v) {
		switch e := e.(type) {
		case string:
			out = append(out, Evidence{ID: strings.TrimSpace(e)})
		case Object:
			out = append(out, Evidence{ID: str(e, "id"), Name: str(e, "name"), Description: str(e, "description"), Narrative: str(e, "narrative")})
		}
	}
	return out
}

// badgeClass is the normalised BadgeClass.
type badgeClass struct {
	id          string
	name        string
	description string
	image       string
	criteria    Criteria
	alignments  []Alignment
	tags        []string
	issuer      any // URL or embedded object
}

// readBadgeClass normalises a BadgeClass (0.5 embedded badge included).
// version is the assertion's.
func readBadgeClass(b Object, version string) (*badgeClass, error) {
	bc := &badgeClass{id: str(b, "id"), name: str(b, "name"), description: str(b, "description"), image: idOf(b["image"]), tags: strList(b["tags"]), issuer: b["issuer"]}
	if version == v20 && !hasType(b, "BadgeClass") {
		return nil, problem.New(problem.Schema, "badge.type: not a BadgeClass")
	}
	if err := checkTypes(b); version == v20 && err != nil {
		return nil, err
	}
	if bc.name == "" {
		return nil, problem.New(problem.Schema, "badge.name: missing")
	}
	switch c := b["criteria"].(type) {
	case string:
		bc.criteria.URL = strings.TrimSpace(c)
	case Object:
		bc.criteria = Criteria{URL: str(c, "id"), Narrative: str(c, "narrative")}
	}
	if version == v05 {
		// 0.5 allowed paths relative to the issuer's origin.
		origin := str(obj(b, "issuer"), "origin")
		bc.image = absolute(origin, bc.image)
		bc.criteria.URL = absolute(origin, bc.criteria.URL)
	}
	for _, al := range list(firstOf(b, "alignment", "alignments")) {
		o, ok := al.(Object)
		if !ok {
			continue
		}
		bc.alignments = append(bc.alignments, Alignment{
			TargetName: firstStr(o, "targetName", "name"), TargetURL: firstStr(o, "targetUrl", "url"),
			TargetDescription: firstStr(o, "targetDescription", "description"),
			TargetFramework:   str(o, "targetFramework"), TargetCode: str(o, "targetCode"),
		})
	}
	if bc.issuer == nil {
		return nil, problem.New(problem.Schema, "badge.issuer: missing")
	}
	return bc, nil
}

func firstStr(o Object, keys ...string) string {
	for _, k := range keys {
		if s := str(o, k); s != "" {
			return s
		}
	}
	return ""
}

func absolute(origin, ref string) string {
	if ref == "" || origin == "" || strings.HasPrefix(ref, "data:") {
		return ref
	}
	base, err := url.Parse(origin)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return base.ResolveReference(r).String()
}

// issuerProfile is the normalised Issuer / Profile.
type issuerProfile struct {
	Issuer
	publicKeys     []string
	revocationList string
	verification   Object
}

func readIssuer(p Object, version string) (*issuerProfile, error) {
	ip := &issuerProfile{Issuer: Issuer{ID: str(p, "id"), Name: str(p, "name"), URL: firstStr(p, "url", "origin"), Email: firstStr(p, "email", "contact"), Image: idOf(p["image"])}}
	if version == v05 && str(p, "org") != "" && ip.Name != "" {
		ip.Name = ip.Name + ": " + str(p, "org")
	}
	if version == v20 && !hasType(p, "Issuer", "Profile") {
		return nil, problem.New(problem.Schema, "issuer.type: not an Issuer or Profile")
	}
	if err := checkTypes(p); version == v20 && err != nil {
		return nil, err
	}
	if ip.Name == "" {
		return nil, problem.New(problem.Schema, "issuer.name: missing")
	}
	for _, k := range list(p["publicKey"]) {
		if id := idOf(k); id != "" {
			ip.publicKeys = append(ip.publicKeys, id)
		}
	}
	ip.revocationList = idOf(p["revocationList"])
	ip.verification = obj(p, "verification")
	return ip, nil
}
