package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"
)

// QR codes of share links, drawn on the server as SVG or PNG, so an earner
// can print a link or show it on a phone. A code encodes only the public
// link, which whoever asks for it already has.

// qrResponse answers with the QR code of link in the format named by ext.
func qrResponse(c echo.Context, link, ext string) error {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", userContentCSP)
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("Referrer-Policy", "no-referrer")
	switch ext {
	case "svg":
		return c.Blob(http.StatusOK, "image/svg+xml", qrSVG(q.Bitmap()))
	case "png":
		png, err := q.PNG(-8) // 8 pixels a module
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "image/png", png)
	}
	return echo.ErrNotFound
}

// qrSVG draws a bitmap (true = dark, quiet zone included) as one path of
// unit squares, a row's neighbouring squares merged into one run.
func qrSVG(bits [][]bool) []byte {
	n := len(bits)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`, n, n, n*8, n*8)
	b.WriteString(`<title>QR code of the share link</title>`)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String())
}
