package ld

import (
	"context"
	"crypto"
	_ "crypto/sha256" // RDFC-1.0's default hash
	_ "crypto/sha512" // SHA-384, for ecdsa-rdfc-2019 with P-384
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
	"strings"

	"backpack/openbadges/problem"
)

// Work bounds of the Hash N-Degree Quads algorithm, whose cost grows with
// the factorial of the size of a group of indistinguishable blank nodes
// ("poison graphs"). json-gold and rdf-canonize before 4.0 have no bound.
const (
	// maxDeepIterations bounds the calls of Hash N-Degree Quads per
	// dataset. rdf-canonize 4 allows n¹ calls for n blank nodes without
	// unique first-degree hashes; n² still stops a poison graph quickly
	// while leaving room for legitimate symmetric data.
	maxDeepFactor = 2
	// maxPermutations bounds the permutations tried in all calls.
	maxPermutations = 100_000
	// checkEvery is how many permutations run between checks of ctx.
	checkEvery = 256
)

// canonicalise returns the RDFC-1.0 canonical N-Quads of ds (W3C RDF
// Dataset Canonicalization, the algorithm formerly called URDNA2015, with
// the hash function h, SHA-256 by default): blank nodes relabelled
// _:c14n0, _:c14n1, … and lines sorted.
func canonicalise(ctx context.Context, ds *dataset, h crypto.Hash) (string, error) {
	c := &canon{
		ctx:   ctx,
		quads: ds.quads,
		nodes: make([]blankInfo, ds.blanks),
		canon: newIssuer(ds.blanks),
		hash:  h,
		md:    h.New(),
	}
	return c.run()
}

// blankInfo is what the algorithm knows of one blank node.
type blankInfo struct {
	quads []int  // indices of the quads that mention it
	hash  string // its first-degree hash, hex
}

type canon struct {
	ctx          context.Context
	quads        []quad
	nodes        []blankInfo
	canon        *issuer // the canonical issuer, _:c14n
	hash         crypto.Hash
	md           hash.Hash
	buf          []byte
	deepLeft     int // remaining Hash N-Degree Quads calls
	permutations int // permutations tried so far
}

func (c *canon) run() (string, error) {
	// Blank node to quads map (step 2). A quad is listed once per blank
	// node even when the node occurs twice in it, as in rdf-canonize.
	for i := range c.quads {
		q := &c.quads[i]
		for _, t := range []*term{&q.s, &q.o, &q.g} {
			if t.kind == blank {
				qs := c.nodes[t.id].quads
				if len(qs) == 0 || qs[len(qs)-1] != i {
					c.nodes[t.id].quads = append(qs, i)
				}
			}
		}
	}

	// First-degree hashes (steps 3-5). They never change, so the "simple"
	// loop of the specification needs one pass.
	byHash := make(map[string][]int)
	for id := range c.nodes {
		if len(c.nodes[id].quads) == 0 {
			continue // numbered, but in no statement: not in the dataset
		}
		h := c.hashFirstDegree(id)
		byHash[h] = append(byHash[h], id)
	}
	hashes := make([]string, 0, len(byHash))
	for h := range byHash {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	var shared [][]int // groups of blank nodes with the same hash, in hash order
	nShared := 0
	for _, h := range hashes {
		if ids := byHash[h]; len(ids) > 1 {
			shared = append(shared, ids)
			nShared += len(ids)
		} else {
			c.canon.issue(ids[0])
		}
	}

	// Hash N-Degree Quads for the rest (step 6).
	c.deepLeft = nShared
	for i := 1; i < maxDeepFactor; i++ {
		c.deepLeft *= nShared
	}
	for _, ids := range shared {
		type result struct {
			hash   string
			issuer *issuer
		}
		var results []result
		for _, id := range ids {
			if c.canon.has(id) {
				continue
			}
			tmp := newIssuer(0)
			tmp.issue(id)
			h, is, err := c.hashNDegree(id, tmp)
			if err != nil {
				return "", err
			}
			results = append(results, result{h, is})
		}
		slices.SortStableFunc(results, func(a, b result) int { return strings.Compare(a.hash, b.hash) })
		for _, r := range results {
			for _, id := range r.issuer.order {
				c.canon.issue(id)
			}
		}
	}

	// Relabel and sort (step 7).
	lines := make([]string, len(c.quads))
	label := func(id int) string { return "c14n" + strconv.Itoa(c.canon.ids[id]) }
	for i := range c.quads {
		c.buf = appendQuad(c.buf[:0], &c.quads[i], label)
		lines[i] = string(c.buf)
	}
	slices.Sort(lines)
	return strings.Join(lines, ""), nil
}

// hashFirstDegree is Hash First Degree Quads (§4.6): the hash of the
// sorted quads that mention id, with id written _:a and other blank nodes
// _:z.
func (c *canon) hashFirstDegree(id int) string {
	info := &c.nodes[id]
	label := func(other int) string {
		if other == id {
			return "a"
		}
		return "z"
	}
	lines := make([]string, len(info.quads))
	for i, qi := range info.quads {
		c.buf = appendQuad(c.buf[:0], &c.quads[qi], label)
		lines[i] = string(c.buf)
	}
	slices.Sort(lines)
	c.md.Reset()
	for _, l := range lines {
		c.md.Write([]byte(l))
	}
	info.hash = c.sum()
	return info.hash
}

// hashRelated is Hash Related Blank Node (§4.7).
func (c *canon) hashRelated(related int, q *quad, is *issuer, position byte) string {
	c.md.Reset()
	c.buf = append(c.buf[:0], position)
	if position != 'g' {
		c.buf = append(c.buf, '<')
		c.buf = append(c.buf, q.p.value...)
		c.buf = append(c.buf, '>')
	}
	switch {
	case c.canon.has(related):
		c.buf = append(c.buf, "_:c14n"...)
		c.buf = strconv.AppendInt(c.buf, int64(c.canon.ids[related]), 10)
	case is.has(related):
		c.buf = append(c.buf, "_:b"...)
		c.buf = strconv.AppendInt(c.buf, int64(is.ids[related]), 10)
	default:
		c.buf = append(c.buf, c.nodes[related].hash...)
	}
	c.md.Write(c.buf)
	return c.sum()
}

// hashNDegree is Hash N-Degree Quads (§4.8). It returns the hash and the
// issuer of the chosen path, and fails when the work bounds are exceeded
// or ctx is done.
func (c *canon) hashNDegree(id int, is *issuer) (string, *issuer, error) {
	if c.deepLeft <= 0 {
		return "", nil, problem.New(problem.TooLarge,
			"the document's blank nodes are too symmetric to canonicalise within bounds")
	}
	c.deepLeft--

	// Steps 1-3: group the related blank nodes by their related hash.
	related := make(map[string][]int)
	for _, qi := range c.nodes[id].quads {
		q := &c.quads[qi]
		for _, p := range [...]struct {
			t   *term
			pos byte
		}{{&q.s, 's'}, {&q.o, 'o'}, {&q.g, 'g'}} {
			if p.t.kind == blank && p.t.id != id {
				h := c.hashRelated(p.t.id, q, is, p.pos)
				related[h] = append(related[h], p.t.id)
			}
		}
	}
	hashes := make([]string, 0, len(related))
	for h := range related {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)

	// Steps 4-5: for each group, the lexicographically least path over
	// all permutations.
	md := c.hash.New()
	for _, h := range hashes {
		md.Write([]byte(h))
		var chosenPath string
		var chosen *issuer
		perm := related[h]
		slices.Sort(perm)
		for more := true; more; more = nextPermutation(perm) {
			if c.permutations++; c.permutations > maxPermutations {
				return "", nil, problem.New(problem.TooLarge,
					"the document's blank nodes are too symmetric to canonicalise within bounds")
			}
			if c.permutations%checkEvery == 0 {
				if err := c.ctx.Err(); err != nil {
					return "", nil, interrupted(err)
				}
			}
			path, pathIssuer, err := c.tryPath(perm, is, chosenPath)
			if err != nil {
				return "", nil, err
			}
			if pathIssuer != nil && (chosen == nil || path < chosenPath) {
				chosenPath, chosen = path, pathIssuer
			}
		}
		md.Write([]byte(chosenPath))
		is = chosen
	}
	return hex.EncodeToString(md.Sum(nil)), is, nil
}

// tryPath builds the path of one permutation (steps 5.4.1 to 5.4.5). It
// returns a nil issuer when the path cannot beat chosenPath.
func (c *canon) tryPath(perm []int, is *issuer, chosenPath string) (string, *issuer, error) {
	cp := is.clone()
	var path []byte
	var recursion []int
	for _, r := range perm {
		if c.canon.has(r) {
			path = append(path, "_:c14n"...)
			path = strconv.AppendInt(path, int64(c.canon.ids[r]), 10)
		} else {
			if !cp.has(r) {
				recursion = append(recursion, r)
			}
			path = append(path, "_:b"...)
			path = strconv.AppendInt(path, int64(cp.issue(r)), 10)
		}
		// A path greater than the chosen one stays greater as it grows.
		if chosenPath != "" && string(path) > chosenPath {
			return "", nil, nil
		}
	}
	for _, r := range recursion {
		h, result, err := c.hashNDegree(r, cp)
		if err != nil {
			return "", nil, err
		}
		path = append(path, "_:b"...)
		path = strconv.AppendInt(path, int64(cp.issue(r)), 10)
		path = append(path, '<')
		path = append(path, h...)
		path = append(path, '>')
		cp = result
		if chosenPath != "" && string(path) > chosenPath {
			return "", nil, nil
		}
	}
	return string(path), cp, nil
}

func (c *canon) sum() string {
	var h [64]byte
	return hex.EncodeToString(c.md.Sum(h[:0]))
}

// issuer is an identifier issuer (§4.5) for blank node numbers: it issues
// 0, 1, 2, … in order and remembers the order.
type issuer struct {
	ids   map[int]int
	order []int
}

func newIssuer(n int) *issuer { return &issuer{ids: make(map[int]int, n)} }

func (is *issuer) has(id int) bool {
	_, ok := is.ids[id]
	return ok
}

// issue returns the identifier issued for id, issuing the next one if
// there is none.
func (is *issuer) issue(id int) int {
	if n, ok := is.ids[id]; ok {
		return n
	}
	n := len(is.order)
	is.ids[id] = n
	is.order = append(is.order, id)
	return n
}

func (is *issuer) clone() *issuer {
	cp := &issuer{ids: make(map[int]int, len(is.ids)+4), order: slices.Clone(is.order)}
	for k, v := range is.ids {
		cp.ids[k] = v
	}
	return cp
}

// nextPermutation rearranges p into the next permutation in lexicographic
// order and reports whether there was one.
func nextPermutation(p []int) bool {
	i := len(p) - 2
	for i >= 0 && p[i] >= p[i+1] {
		i--
	}
	if i < 0 {
		return false
	}
	j := len(p) - 1
	for p[j] <= p[i] {
		j--
	}
	p[i], p[j] = p[j], p[i]
	slices.Reverse(p[i+1:])
	return true
}
