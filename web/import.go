package web

import (
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"backpack/badges"
	"backpack/openbadges/problem"
	"backpack/templates"
)

// Limits of the add-badges form, enforced on the server.
const (
	maxFiles      = 50
	maxFileBytes  = badges.MaxFileBytes
	maxUploadBody = 260 << 20 // 50 files of 5 MiB, with room for form overhead
	maxURLs       = 20
	maxPasteBytes = 1 << 20
)

// addBadges imports everything the form carries and answers with one
// result per item: a page, or JSON for the page's script.
func (s *Server) addBadges(c echo.Context) error {
	user := currentUser(c)
	items, err := readImportItems(c)
	if err != nil {
		return s.importRefused(c, err)
	}
	if len(items) == 0 {
		return s.importFormError(c, "Choose badge files, enter badge URLs or paste a badge.")
	}
	res, err := s.core.Import(c.Request().Context(), user.ID, items)
	if refusal, ok := errors.AsType[*badges.Refusal](err); ok {
		return s.importRefusal(c, refusal)
	}
	if err != nil {
		return err
	}
	results := make([]templates.ImportResult, 0, len(res))
	for _, r := range res {
		results = append(results, s.importResultView(r))
	}
	if wantsJSON(c) || strings.Contains(c.Request().Header.Get("Accept"), "application/json") {
		return c.JSON(http.StatusOK, importResultsJSON{Results: jsonResults(results)})
	}
	view := templates.AddBadges{Form: newForm(), Results: results, MaxFiles: maxFiles, MaxFileMB: maxFileBytes >> 20, MaxZipBadges: badges.MaxJobItems}
	return s.render(c, http.StatusOK, templates.AddBadgesPage(s.base(c, "Add badges"), view))
}

// importResultsJSON is the form's answer to its script.
type importResultsJSON struct {
	Results []importResultJSON `json:"results"`
}

type importResultJSON struct {
	Item     string `json:"item"`
	Outcome  string `json:"outcome"`
	Message  string `json:"message"`
	BadgeURL string `json:"badgeUrl"`
	Name     string `json:"name"`
	AddEmail string `json:"addEmail"`
}

func jsonResults(rs []templates.ImportResult) []importResultJSON {
	out := make([]importResultJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, importResultJSON{Item: r.Item, Outcome: r.Outcome, Message: r.Message, BadgeURL: r.BadgeURL, Name: r.Name, AddEmail: r.AddEmail})
	}
	return out
}

// importRefused shows a userError on the form as it is; any other error
// is internal and goes to the error handler.
func (s *Server) importRefused(c echo.Context, err error) error {
	var refusal userError
	if errors.As(err, &refusal) {
		return s.importFormError(c, refusal.msg)
	}
	return err
}

// importRefusal shows why the core refused a submission on the form: 429
// with Retry-After when the user is to wait, 422 otherwise.
func (s *Server) importRefusal(c echo.Context, r *badges.Refusal) error {
	if r.Code != badges.CodeTooManySubmissions {
		return s.importFormError(c, refusalMessage(r))
	}
	c.Response().Header().Set("Retry-After", retryAfter(r.Wait).String())
	return s.importFormErrorStatus(c, http.StatusTooManyRequests, refusalMessage(r))
}

func (s *Server) importFormError(c echo.Context, msg string) error {
	return s.importFormErrorStatus(c, http.StatusUnprocessableEntity, msg)
}

func (s *Server) importFormErrorStatus(c echo.Context, status int, msg string) error {
	if strings.Contains(c.Request().Header.Get("Accept"), "application/json") {
		return c.JSON(status, map[string]any{"error": map[string]any{"status": status, "message": msg}})
	}
	f := newForm()
	f.Values["urls"], f.Values["text"] = c.FormValue("urls"), c.FormValue("text")
	f.Errors[""] = msg
	view := templates.AddBadges{Form: f, MaxFiles: maxFiles, MaxFileMB: maxFileBytes >> 20, MaxZipBadges: badges.MaxJobItems}
	return s.render(c, status, templates.AddBadgesPage(s.base(c, "Add badges"), view))
}

// readImportItems collects the files, URLs and pasted text of the form. A
// form with too many of them is refused with a userError.
func readImportItems(c echo.Context) ([]badges.Item, error) {
	var items []badges.Item
	if form, err := c.MultipartForm(); err == nil && form != nil {
		files := append(form.File["files"], form.File["folder"]...)
		if len(files) > maxFiles {
			return nil, userErrorf("You sent %d files; at most %d can be added at once. Send the rest in another go.", len(files), maxFiles)
		}
		for _, fh := range files {
			items = append(items, readFile(fh))
		}
	}
	var urls []string
	for _, line := range strings.Split(c.FormValue("urls"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			urls = append(urls, line)
		}
	}
	if len(urls) > maxURLs {
		return nil, userErrorf("You entered %d URLs; at most %d can be added at once.", len(urls), maxURLs)
	}
	for _, u := range urls {
		items = append(items, badges.Item{Label: u, Data: []byte(u), URL: true})
	}
	if text := strings.TrimSpace(c.FormValue("text")); text != "" {
		it := badges.Item{Label: "pasted text", Data: []byte(text)}
		if len(text) > maxPasteBytes {
			it.Err = problem.New(problem.TooLarge, "the pasted text is larger than 1 MiB")
		}
		items = append(items, it)
	}
	return items, nil
}

func readFile(fh *multipart.FileHeader) badges.Item {
	name := path.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
	if name == "" || name == "." || name == "/" {
		name = "unnamed file"
	}
	it := badges.Item{Label: truncateText(name, 120)}
	if fh.Size > maxFileBytes {
		it.Err = problem.New(problem.TooLarge, "the file is larger than %d MB", maxFileBytes>>20)
		return it
	}
	f, err := fh.Open()
	if err != nil {
		it.Err = problem.New(problem.Malformed, "the file could not be read")
		return it
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil || len(b) > maxFileBytes {
		it.Err = problem.New(problem.TooLarge, "the file is larger than %d MB", maxFileBytes>>20)
		return it
	}
	it.Data = b
	return it
}

func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// importResultView is one result as the page shows it.
func (s *Server) importResultView(r badges.Result) templates.ImportResult {
	v := templates.ImportResult{Item: r.Item, Outcome: string(r.Outcome), Message: resultMessage(r), Name: r.Name}
	if r.Saved() {
		v.BadgeURL = s.url(routeBadge, r.BadgeID)
	}
	if r.Code == badges.CodeIssuedToEmail {
		v.AddEmail = r.Detail
	}
	return v
}

// imageURL is the content-hashed address of a stored image.
func (s *Server) imageURL(hash []byte, contentType string) string {
	if len(hash) == 0 {
		return ""
	}
	ext := ".png"
	if contentType == "image/svg+xml" {
		ext = ".svg"
	}
	return s.url(routeImage, hex.EncodeToString(hash)+ext)
}
