package dify

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxEvent bounds one event's size. message_end carries the retrieved
// knowledge chunks, which can be large; anything beyond this is a broken
// or hostile server, not an answer.
const maxEvent = 16 << 20

// errEventTooLarge is returned when an event exceeds maxEvent.
var errEventTooLarge = fmt.Errorf("dify: server-sent event larger than %d bytes", maxEvent)

// sseEvent is one server-sent event: its "event" field and its data lines
// joined by "\n".
type sseEvent struct {
	name string
	data []byte
}

// sseDecoder reads server-sent events as the specification defines them:
// lines end with "\n" or "\r\n"; "data" lines accumulate, "event" names
// the event, lines starting with ":" are comments, other fields (id,
// retry) are ignored; a blank line dispatches the event. An event cut off
// by the end of the body is discarded, as the specification says.
type sseDecoder struct {
	r   *bufio.Reader
	max int
}

func newSSEDecoder(r io.Reader, max int) *sseDecoder {
	return &sseDecoder{r: bufio.NewReaderSize(r, 32<<10), max: max}
}

// next returns the next event with a name or data; io.EOF at the end of
// the body, or the read error (an unexpected EOF on a dropped connection).
func (d *sseDecoder) next() (sseEvent, error) {
	var (
		ev      sseEvent
		hasData bool
		size    int
	)
	for {
		line, err := d.line(d.max - size)
		if err != nil {
			return sseEvent{}, err
		}
		size += len(line) + 1
		if len(line) == 0 {
			if ev.name == "" && !hasData {
				continue
			}
			return ev, nil
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "":
			// a comment line
		case "event":
			ev.name = string(value)
		case "data":
			if hasData {
				ev.data = append(ev.data, '\n')
			}
			ev.data = append(ev.data, value...)
			hasData = true
		}
	}
}

// line reads one line without its terminator, refusing lines longer than
// limit. The returned slice is a copy the caller may keep.
func (d *sseDecoder) line(limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		if len(line)+len(chunk) > limit+1 {
			return nil, errEventTooLarge
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			// A last line without its terminator ends an unfinished
			// event, which is discarded.
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}
