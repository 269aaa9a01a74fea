package fetch

import (
	"context"
	"slices"
	"sync"

	"backpack/openbadges/problem"
)

// Session is the view of a Client for one verification: it fetches each
// URL (with a given Accept header) at most once, and lets the verification
// make at most budget network requests, redirect hops included, so that a
// badge whose documents link in a cycle or fan out cannot amplify load.
// A Session is safe for concurrent use.
type Session struct {
	c      *Client
	budget int

	mu       sync.Mutex
	fetches  int
	cache    map[string]*entry
	insecure []string // hosts answered over plain http (Response.Insecure), once each
}

// entry is one fetch, shared by every Get of the same URL and Accept
// header; done is closed when resp and err are set.
type entry struct {
	done chan struct{}
	resp *Response
	err  error
}

type sessionKey struct{}

// Session returns a new Session allowing budget network requests.
func (c *Client) Session(budget int) *Session {
	return &Session{c: c, budget: budget, cache: make(map[string]*entry)}
}

// Get is Client.Get, answered from the session's cache when the same URL
// was already requested with the same Accept header (the outcome of that
// first fetch, errors included, is reused; a cached body larger than limit
// is still refused). A fetch beyond the budget fails with FetchFailed.
// URLs refused by the URL rules cost no budget.
func (s *Session) Get(ctx context.Context, rawURL, accept string, limit Limit) (*Response, error) {
	u, err := s.c.guard.checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	key := accept + "\n" + u.String()

	s.mu.Lock()
	e, ok := s.cache[key]
	if !ok {
		if err := s.takeLocked(); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		e = &entry{done: make(chan struct{})}
		s.cache[key] = e
	}
	s.mu.Unlock()

	if !ok {
		e.resp, e.err = s.c.get(context.WithValue(ctx, sessionKey{}, s), u, accept, limit)
		close(e.done)
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, problem.Wrap(ctx.Err(), problem.FetchFailed, "fetch from %s was cancelled", u.Host)
	}
	if e.err != nil {
		return nil, e.err
	}
	if int64(len(e.resp.Body)) > int64(limit) {
		return nil, tooLarge(e.resp.URL, limit)
	}
	if e.resp.Insecure {
		s.mu.Lock()
		if h := e.resp.URL.Host; !slices.Contains(s.insecure, h) {
			s.insecure = append(s.insecure, h)
		}
		s.mu.Unlock()
	}
	r := *e.resp
	return &r, nil
}

// Insecure lists the hosts whose documents this session received over
// plain http (see Response.Insecure), in the order first seen.
func (s *Session) Insecure() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.insecure)
}

// Fetches returns the number of network requests made so far.
func (s *Session) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// take consumes one unit of budget for a redirect hop.
func (s *Session) take() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takeLocked()
}

func (s *Session) takeLocked() error {
	if s.fetches >= s.budget {
		return problem.New(problem.FetchFailed, "fetch budget of %d exceeded", s.budget)
	}
	s.fetches++
	return nil
}
