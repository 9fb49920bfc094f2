// Package fuzz holds no production code: its test fuzzes every decoder of
// untrusted input for a short fixed time and fails on any crasher.
// Skipped under -short; run alone, or longer, with:
//
//	CHATBOX_FUZZ_TIME=10m go test -count=1 -v -timeout 4h ./internal/checks/fuzz
package fuzz
