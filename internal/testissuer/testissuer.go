// Package testissuer is a loopback web server that plays a badge issuer in
// tests: it serves the documents put into it, or the status code it is told
// to answer a path with. Tests build the issuer's profile, badge classes,
// assertions and keys on top of it.
package testissuer

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Server is the issuer's web server. Its URL field is the base URL.
type Server struct {
	*httptest.Server
	mu   sync.Mutex
	docs map[string][]byte
	code map[string]int
	hits map[string]int
}

// New starts a server that lives as long as the test.
func New(tb testing.TB) *Server {
	s := &Server{docs: map[string][]byte{}, code: map[string]int{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		b, ok := s.docs[r.URL.Path]
		code := s.code[r.URL.Path]
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		switch {
		case code != 0:
			w.WriteHeader(code)
		case !ok:
			http.NotFound(w, r)
		default:
			w.Write(b)
		}
	}))
	tb.Cleanup(s.Close)
	return s
}

// Put serves v at path: bytes as they are, anything else as JSON.
func (s *Server) Put(path string, v any) {
	b, ok := v.([]byte)
	if !ok {
		b, _ = json.Marshal(v)
	}
	s.mu.Lock()
	s.docs[path] = b
	s.mu.Unlock()
}

// Doc is what the server serves at path, if anything.
func (s *Server) Doc(path string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.docs[path]
	return b, ok
}

// Status makes the server answer path with code and no body (0: serve the
// document again).
func (s *Server) Status(path string, code int) {
	s.mu.Lock()
	s.code[path] = code
	s.mu.Unlock()
}

// Hits counts the requests for path so far.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// At is the absolute URL of path on the server.
func (s *Server) At(path string) string { return s.URL + path }

// HostPort is the server's HOST:PORT, for the fetcher's allow-list.
func (s *Server) HostPort() string { return strings.TrimPrefix(s.URL, "http://") }

// PNG is a small valid PNG image; different shades give different bytes.
func PNG(tb testing.TB, shade uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.Pix[0] = shade
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
