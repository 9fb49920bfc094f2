// Package static holds no production code: its tests run staticcheck (a
// tool dependency in go.mod) and a gofmt check over the whole module.
// Skipped under -short; run alone with:
//
//	go test -count=1 -v ./internal/checks/static
package static
