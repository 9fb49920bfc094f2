// Package filetype decides what an uploaded file is from its first bytes,
// against an allow-list: images browsers render safely, PDF, plain text,
// and common office documents. The client's Content-Type header is never
// consulted, and the file name only tells apart office formats whose
// container the bytes already proved (a .docx and a .xlsx are both the
// same kind of zip archive).
package filetype

import (
	"bytes"
	"errors"
	"net/http"
	"path"
	"strings"
)

// HeadSize is how many leading bytes Classify looks at.
const HeadSize = 512

// ErrNotAllowed is returned for content outside the allow-list.
var ErrNotAllowed = errors.New("file type not allowed")

// Office document types.
const (
	DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	DOC  = "application/msword"
	XLS  = "application/vnd.ms-excel"
	PPT  = "application/vnd.ms-powerpoint"
	ODT  = "application/vnd.oasis.opendocument.text"
	ODS  = "application/vnd.oasis.opendocument.spreadsheet"
	ODP  = "application/vnd.oasis.opendocument.presentation"
	PDF  = "application/pdf"
	Text = "text/plain; charset=utf-8"
)

var (
	ooxmlByExt = map[string]string{".docx": DOCX, ".xlsx": XLSX, ".pptx": PPTX}
	oleByExt   = map[string]string{".doc": DOC, ".xls": XLS, ".ppt": PPT}
	odfTypes   = []string{ODT, ODS, ODP}

	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	// executable formats, refused whatever the name says.
	executables = [][]byte{
		[]byte("\x7fELF"),                                  // Linux and most Unix binaries
		[]byte("MZ"),                                       // Windows PE (exe, dll)
		{0xFE, 0xED, 0xFA, 0xCE}, {0xFE, 0xED, 0xFA, 0xCF}, // Mach-O, big endian
		{0xCE, 0xFA, 0xED, 0xFE}, {0xCF, 0xFA, 0xED, 0xFE}, // Mach-O, little endian
		{0xCA, 0xFE, 0xBA, 0xBE}, // Mach-O universal binary, Java class
		[]byte("#!"),             // scripts
		{0x00, 0x61, 0x73, 0x6D}, // WebAssembly
	}
	// markup a browser could run as a page, refused in "text".
	markup = [][]byte{
		[]byte("<!doctype"), []byte("<html"), []byte("<head"), []byte("<body"), []byte("<script"),
		[]byte("<svg"), []byte("<?xml"), []byte("<iframe"), []byte("<object"), []byte("<embed"),
		[]byte("<meta"), []byte("<style"), []byte("<a "), []byte("<img"), []byte("<!--"),
		[]byte("<xml"), []byte("<div"), []byte("<form"), []byte("<link"), []byte("<base"),
	}
)

// Classify returns the content type of a file whose first bytes are head
// (up to HeadSize; fewer only when the file is that short) and whose name
// the client gave, or ErrNotAllowed.
func Classify(head []byte, name string) (string, error) {
	if len(head) > HeadSize {
		head = head[:HeadSize]
	}
	if len(head) == 0 {
		return "", ErrNotAllowed // an empty file is nothing to attach
	}
	for _, magic := range executables {
		if bytes.HasPrefix(head, magic) {
			return "", ErrNotAllowed
		}
	}
	ext := strings.ToLower(path.Ext(name))
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return PDF, nil
	case bytes.HasPrefix(head, zipMagic):
		return classifyZip(head, ext)
	case bytes.HasPrefix(head, oleMagic):
		// The OLE container also holds installers (.msi): only the
		// document extensions pass.
		if t, ok := oleByExt[ext]; ok {
			return t, nil
		}
		return "", ErrNotAllowed
	}
	switch detected := http.DetectContentType(head); detected {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return detected, nil
	case "text/plain; charset=utf-8":
		if looksLikeMarkup(head) {
			return "", ErrNotAllowed
		}
		return Text, nil
	}
	return "", ErrNotAllowed
}

// classifyZip accepts the zip archives of office documents: OpenDocument
// names its type in a first, uncompressed "mimetype" entry; Office Open XML
// starts with "[Content_Types].xml" (or one of its parts) and is told apart
// by the extension. Any other archive is refused.
func classifyZip(head []byte, ext string) (string, error) {
	const nameOffset = 30 // fixed part of a zip local file header
	if len(head) < nameOffset {
		return "", ErrNotAllowed
	}
	nameLen := int(head[26]) | int(head[27])<<8
	extraLen := int(head[28]) | int(head[29])<<8
	if nameOffset+nameLen > len(head) {
		return "", ErrNotAllowed
	}
	first := string(head[nameOffset : nameOffset+nameLen])
	if first == "mimetype" {
		start := nameOffset + nameLen + extraLen
		if start > len(head) {
			return "", ErrNotAllowed
		}
		for _, t := range odfTypes {
			if bytes.HasPrefix(head[start:], []byte(t)) {
				return t, nil
			}
		}
		return "", ErrNotAllowed
	}
	ooxml := first == "[Content_Types].xml"
	for _, part := range []string{"_rels/", "docProps/", "word/", "xl/", "ppt/"} {
		ooxml = ooxml || strings.HasPrefix(first, part)
	}
	if t, ok := ooxmlByExt[ext]; ok && ooxml {
		return t, nil
	}
	return "", ErrNotAllowed
}

// looksLikeMarkup reports whether text contains HTML, SVG or XML a browser
// might render, whatever it is named.
func looksLikeMarkup(head []byte) bool {
	lower := bytes.ToLower(head)
	for _, tag := range markup {
		if bytes.Contains(lower, tag) {
			return true
		}
	}
	return false
}
