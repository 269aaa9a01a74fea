package badges

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"backpack/openbadges"
	"backpack/openbadges/bake"
	"backpack/openbadges/fetch"
)

// badgeImage finds the badge's picture: the baked image itself, or the
// image the badge names (a data: URI, or fetched once through the guarded
// client). Only PNG and SVG are kept; the store saves it with the badge, in
// one transaction. A missing image is not an error.
func (s *Service) badgeImage(ctx context.Context, it Item, rep *openbadges.Report) ([]byte, string) {
	if ct := ImageType(it.Data); ct != "" {
		return it.Data, ct
	}
	if rep.Badge.Image == "" {
		return nil, ""
	}
	return s.fetchImage(ctx, rep.Badge.Image)
}

// issuerLogoFresh is how long a stored issuer logo is kept before an import
// fetches it again: a ZIP of ten thousand badges from one issuer fetches
// its logo once, not ten thousand times.
const issuerLogoFresh = 24 * time.Hour

// keepIssuerImage stores the issuer's logo (a data: URI or fetched once
// through the guarded client) so pages never link to the issuer's server.
func (s *Service) keepIssuerImage(ctx context.Context, iss openbadges.Issuer) {
	if iss.ID == "" || iss.Image == "" {
		return
	}
	if at, err := s.store.IssuerImageUpdated(ctx, iss.ID); err == nil && s.now().Sub(at) < issuerLogoFresh {
		return
	}
	img, ct := s.fetchImage(ctx, iss.Image)
	if img == nil {
		return
	}
	if err := s.store.SetIssuerImage(ctx, iss.ID, ct, img, s.now()); err != nil {
		s.log.Warn("import: issuer image", "err", err)
	}
}

// fetchImage reads a PNG or SVG named by a data: URI or a URL.
func (s *Service) fetchImage(ctx context.Context, src string) ([]byte, string) {
	var img []byte
	if strings.HasPrefix(src, "data:") {
		img = decodeDataURI(src)
	} else if s.fetch != nil {
		fctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		resp, err := s.fetch.Get(fctx, src, "image/png, image/svg+xml", fetch.ImageLimit)
		if err == nil && resp.Err() == nil {
			img = resp.Body
		} else if err != nil {
			s.log.Info("import: image not fetched", "err", err)
		}
	}
	if ct := ImageType(img); ct != "" {
		return img, ct
	}
	return nil, ""
}

// ImageType is the content type of a PNG or SVG image, or "".
func ImageType(b []byte) string {
	switch f, _ := bake.Sniff(b); f {
	case bake.PNG:
		return "image/png"
	case bake.SVG:
		return "image/svg+xml"
	}
	return ""
}

// decodeDataURI decodes a base64 data: URI of a PNG or SVG image.
func decodeDataURI(src string) []byte {
	meta, data, ok := strings.Cut(strings.TrimPrefix(src, "data:"), ",")
	if !ok || !strings.HasSuffix(meta, ";base64") || len(data) > 8<<20 {
		return nil
	}
	switch strings.TrimSuffix(meta, ";base64") {
	case "image/png", "image/svg+xml":
	default:
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil
	}
	return b
}
