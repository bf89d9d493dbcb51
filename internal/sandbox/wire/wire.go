// Package wire holds what every service's wire format shares: bounded,
// clipped error texts, JSON decoding problems told in the client's terms,
// and who is at the other end of a request.
package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Error texts never repeat megabytes of input nor name Go types: values
// echoed in messages are clipped, whole messages are bounded, and decoding
// problems are described in the client's terms (where, what kind).

// JSONProblem describes why a JSON body could not be decoded.
func JSONProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte offset %d", syn.Offset)
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "the top level"
		}
		return fmt.Sprintf("unexpected JSON %s at '%s' (byte offset %d)", typ.Value, Clip(where, 200), typ.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON document ends before it is complete"
	}
	return "malformed JSON"
}

// Clip shortens an echoed value so that an error never repeats megabytes
// of input.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 { // keep UTF-8 whole
		cut--
	}
	return s[:cut] + fmt.Sprintf("...(%d more bytes)", len(s)-cut)
}

// MaxErrorMessage bounds every error message the sandbox sends.
const MaxErrorMessage = 2048

// XMLEscape escapes s for an XML text node or attribute.
func XMLEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IsLoopbackPeer reports whether the TCP peer of r is on this machine.
func IsLoopbackPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SplitPath splits an escaped URL path into its unescaped segments,
// skipping empty ones.
func SplitPath(escaped string) []string {
	var out []string
	for _, s := range strings.Split(strings.Trim(escaped, "/"), "/") {
		if s == "" {
			continue
		}
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		out = append(out, s)
	}
	return out
}
