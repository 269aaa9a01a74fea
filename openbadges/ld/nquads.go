package ld

// appendQuad appends q as one line of canonical N-Quads (RDFC-1.0 §4.2 and
// RDF 1.1 N-Quads), naming each blank node with label(id) after "_:".
func appendQuad(b []byte, q *quad, label func(id int) string) []byte {
	b = appendTerm(b, &q.s, label)
	b = append(b, ' ')
	b = appendTerm(b, &q.p, label)
	b = append(b, ' ')
	b = appendTerm(b, &q.o, label)
	if q.g.kind != none {
		b = append(b, ' ')
		b = appendTerm(b, &q.g, label)
	}
	return append(b, " .\n"...)
}

func appendTerm(b []byte, t *term, label func(id int) string) []byte {
	switch t.kind {
	case iri:
		b = append(b, '<')
		b = append(b, t.value...) // absoluteIRI admits nothing to escape
		return append(b, '>')
	case blank:
		b = append(b, '_', ':')
		return append(b, label(t.id)...)
	}
	b = append(b, '"')
	b = appendEscaped(b, t.value)
	b = append(b, '"')
	switch t.dt {
	case rdfLangString:
		b = append(b, '@')
		b = append(b, t.lang...)
	case xsdString:
	default:
		b = append(b, '^', '^', '<')
		b = append(b, t.dt...)
		b = append(b, '>')
	}
	return b
}

// appendEscaped escapes a literal's lexical form as canonical N-Quads
// requires (and rdf-canonize since 4.0 does): \b \t \n \f \r \" \\ as
// ECHAR, other characters below U+0020 and U+007F as \u00XX, everything
// else as is.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}
