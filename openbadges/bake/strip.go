package bake

import "bytes"

// A display image is a badge's picture without the badge: what a page may
// show to anyone. A baked image carries its assertion, and the assertion
// names its recipient (often an email address in plain text), so the
// picture a public page shows must not carry it.

// typeEXIF is the PNG chunk of Exif metadata.
var typeEXIF = [4]byte{'e', 'X', 'I', 'f'}

// Strip returns a copy of the PNG or SVG img without the badge it may
// carry: a PNG without any text chunk (tEXt, iTXt, zTXt: where badges,
// and authors' and tools' notes, live) or Exif chunk, and without
// anything after IEND; an SVG without its badge elements (as Bake removes
// them), the rest byte for byte. Pixels are neither decoded nor changed.
// An image that is not structurally valid is an error, never returned as
// it was.
func Strip(img []byte) ([]byte, error) {
	f, err := detect(img)
	if err != nil {
		return nil, err
	}
	if f == PNG {
		return StripPNG(img)
	}
	return StripSVG(img)
}

// StripPNG is Strip for a PNG.
func StripPNG(img []byte) ([]byte, error) {
	w, err := newChunkWalker(img)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(img))
	out = append(out, pngSignature...)
	last := [4]byte{}
	for {
		c, ok, err := w.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		last = c.typ
		switch c.typ {
		case typeTEXT, typeITXT, typeZTXT, typeEXIF:
			continue
		}
		out = append(out, img[c.start:c.end]...)
	}
	if last != typeIEND {
		out = append(out, "\x00\x00\x00\x00IEND\xaeB`\x82"...)
	}
	return out, nil
}

// StripSVG is Strip for an SVG.
func StripSVG(img []byte) ([]byte, error) {
	doc, err := scanSVG(img)
	if err != nil {
		return nil, err
	}
	b := doc.b
	var out bytes.Buffer
	out.Grow(len(img))
	if len(b) < len(img) {
		out.WriteString(utf8BOM)
	}
	doc.writeWithoutBadges(&out, 0)
	return out.Bytes(), nil
}
