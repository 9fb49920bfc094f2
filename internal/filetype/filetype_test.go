package filetype

import (
	"archive/zip"
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"
)

func pngBytes(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipWith returns a zip archive whose first entry is named first.
func zipWith(t testing.TB, first, content string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.CreateHeader(&zip.FileHeader{Name: first, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte(content))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestClassify(t *testing.T) {
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...)
	tests := []struct {
		name string
		head []byte
		file string
		want string // "" means refused
	}{
		{"png", pngBytes(t), "a.png", "image/png"},
		{"png named .txt is still png", pngBytes(t), "a.txt", "image/png"},
		{"jpeg", []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"), "a.jpg", "image/jpeg"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "a.gif", "image/gif"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "a.webp", "image/webp"},
		{"pdf", []byte("%PDF-1.7\n%\xE2\xE3"), "a.pdf", PDF},
		{"text", []byte("hello, world\nsecond line"), "notes.txt", Text},
		{"csv", []byte("a,b,c\n1,2,3\n"), "data.csv", Text},
		{"docx", zipWith(t, "[Content_Types].xml", "<Types/>"), "report.docx", DOCX},
		{"xlsx", zipWith(t, "[Content_Types].xml", "<Types/>"), "sheet.XLSX", XLSX},
		{"pptx", zipWith(t, "_rels/.rels", "<Relationships/>"), "deck.pptx", PPTX},
		{"odt", zipWith(t, "mimetype", ODT), "letter.odt", ODT},
		{"ods", zipWith(t, "mimetype", ODS), "x.ods", ODS},
		{"doc", ole, "old.doc", DOC},
		{"xls", ole, "old.xls", XLS},

		{"script renamed .png", []byte("#!/bin/sh\nrm -rf /\n"), "cat.png", ""},
		{"ELF", []byte("\x7fELF\x02\x01\x01"), "a.png", ""},
		{"PE", []byte("MZ\x90\x00\x03\x00"), "setup.pdf", ""},
		{"Mach-O", []byte{0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1}, "a.jpg", ""},
		{"html renamed .txt", []byte("<!DOCTYPE html><html><script>alert(1)</script>"), "a.txt", ""},
		{"html fragment", []byte("hello <script>alert(1)</script>"), "a.txt", ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "a.svg", ""},
		{"xml", []byte(`<?xml version="1.0"?><x/>`), "a.xml", ""},
		{"plain zip", zipWith(t, "payload.exe", "MZ"), "a.docx", ""},
		{"ooxml with another extension", zipWith(t, "[Content_Types].xml", "<Types/>"), "a.zip", ""},
		{"msi (ole, not a document)", ole, "setup.msi", ""},
		{"unknown binary", []byte{0x00, 0x01, 0x02, 0x03, 0xFF}, "a.bin", ""},
		{"empty", nil, "empty.txt", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Classify(tc.head, tc.file)
			if tc.want == "" {
				if !errors.Is(err, ErrNotAllowed) {
					t.Errorf("Classify = %q, %v; want ErrNotAllowed", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Classify = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzClassify: any input gives either an allow-listed type or
// ErrNotAllowed, never a panic, and never lets an executable or markup
// through.
func FuzzClassify(f *testing.F) {
	f.Add([]byte("%PDF-1.4"), "a.pdf")
	f.Add([]byte("#!/bin/sh"), "a.png")
	f.Add([]byte("PK\x03\x04"), "a.docx")
	f.Add(zipWith(f, "mimetype", ODT), "a.odt")
	f.Add(zipWith(f, "[Content_Types].xml", ""), "a.xlsx")
	f.Add([]byte("PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff"), "a.docx")
	f.Add([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, "a.doc")
	f.Add([]byte("<svg/>"), "a.txt")
	f.Add([]byte("plain text"), "a.txt")
	allowed := map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
		PDF: true, Text: true, DOCX: true, XLSX: true, PPTX: true, DOC: true, XLS: true, PPT: true, ODT: true, ODS: true, ODP: true}
	f.Fuzz(func(t *testing.T, head []byte, name string) {
		got, err := Classify(head, name)
		if err != nil {
			if !errors.Is(err, ErrNotAllowed) || got != "" {
				t.Fatalf("Classify = %q, %v", got, err)
			}
			return
		}
		if !allowed[got] {
			t.Fatalf("Classify = %q, not on the allow-list", got)
		}
		if bytes.HasPrefix(head, []byte("#!")) || bytes.HasPrefix(head, []byte("\x7fELF")) || bytes.HasPrefix(head, []byte("MZ")) {
			t.Fatalf("executable accepted as %q", got)
		}
		if got == Text && strings.Contains(strings.ToLower(string(head[:min(len(head), HeadSize)])), "<script") {
			t.Fatalf("markup accepted as text")
		}
	})
}
