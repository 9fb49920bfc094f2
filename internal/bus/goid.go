package bus

import "runtime"

// goid returns the calling goroutine's id, or 0 if it cannot be read.
//
// Go deliberately has no goroutine identity API; the id is read from the
// first line of the goroutine's own stack trace ("goroutine 42 [running]:"),
// a format unchanged since Go 1. It is used for one thing only: telling
// whether unsubscribe is being called from inside the handler it would
// otherwise wait for (see subscription.waitIdle).
func goid() uint64 {
	var buf [64]byte
	line := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(line) <= len(prefix) || string(line[:len(prefix)]) != prefix {
		return 0
	}
	var id uint64
	for _, c := range line[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
