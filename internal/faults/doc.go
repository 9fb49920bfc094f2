// Package faults holds no production code: its tests build the chatbox
// binary, run two instances of it as separate processes sharing one SQLite
// file and one NATS server, and inject faults (kill -9 of an instance, a
// NATS outage, a slow, failing or hanging model, storage write errors)
// while clients chat over real WebSockets. After each fault they check
// that every acknowledged message is stored exactly once and replayed
// exactly once to a resuming client, that readiness told the truth, and
// that the service recovered without a restart.
//
// The regular test run uses a reduced size (20 streaming sessions); the
// full size (200) is one command:
//
//	CHATBOX_FAULT_FULL=1 go test -count=1 -v -timeout 30m ./internal/faults
//
// docs/RELIABILITY.md records the results. Linux only (kill -9, prlimit).
package faults
