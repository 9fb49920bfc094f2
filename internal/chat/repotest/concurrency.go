package repotest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// testConcurrentAppends: writers on several handles (standing in for
// several processes) appending to one session get every seq exactly once,
// with no gaps, and each writer sees its own messages in order.
func testConcurrentAppends(t *testing.T, h harness) {
	const handles, writers, perWriter = 4, 8, 25
	rs := h.handles(t, handles)
	start := startOn(t, rs[0], "user-concurrent", at(0))
	id := start.Session.ID

	type written struct {
		id  string
		seq int64
	}
	results := make([][]written, handles*writers) // one slot per writer: no lock needed
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for w := range results {
		r := rs[w%handles]
		wg.Go(func() {
			<-ready // start together, for as much overlap as possible
			for i := range perWriter {
				m := userMessage(id, fmt.Sprintf("author-%d", w), at(time.Duration(1+w*perWriter+i)*time.Millisecond))
				res, err := r.AppendMessage(t.Context(), m)
				if err != nil {
					t.Errorf("writer %d, message %d: %v", w, i, err)
					return
				}
				if res.Duplicate || res.Message.ID != m.ID {
					t.Errorf("writer %d, message %d: Duplicate = %v, id %s, want a new message %s", w, i, res.Duplicate, res.Message.ID, m.ID)
				}
				if res.Session.LastSeq != res.Message.Seq {
					t.Errorf("writer %d, message %d: result LastSeq %d, want the message's seq %d", w, i, res.Session.LastSeq, res.Message.Seq)
				}
				results[w] = append(results[w], written{id: m.ID, seq: res.Message.Seq})
			}
		})
	}
	close(ready)
	wg.Wait()
	if t.Failed() {
		return
	}

	total := int64(1 + handles*writers*perWriter)
	idBySeq := map[int64]string{1: start.Message.ID}
	for w, ws := range results {
		for i, x := range ws {
			if i > 0 && x.seq <= ws[i-1].seq {
				t.Errorf("writer %d: seq %d after %d; one writer's messages must be numbered in order", w, x.seq, ws[i-1].seq)
			}
			if other, taken := idBySeq[x.seq]; taken {
				t.Errorf("seq %d given to both %s and %s", x.seq, other, x.id)
			}
			idBySeq[x.seq] = x.id
		}
	}
	for seq := int64(1); seq <= total; seq++ {
		if _, ok := idBySeq[seq]; !ok {
			t.Errorf("seq %d was never assigned (a gap)", seq)
		}
	}
	if n := int64(len(idBySeq)); n != total {
		t.Errorf("%d distinct seqs assigned, want %d", n, total)
	}

	last := at(time.Duration(handles*writers*perWriter) * time.Millisecond)
	for i, r := range rs {
		s := mustGet(t, r, id)
		if s.LastSeq != total || !s.UpdatedAt.Equal(last) {
			t.Errorf("handle %d: LastSeq %d, UpdatedAt %s, want %d, %s", i, s.LastSeq, s.UpdatedAt, total, last)
		}
	}
	msgs := allMessages(t, rs[handles-1], id)
	if int64(len(msgs)) != total {
		t.Fatalf("ListMessages: %d messages, want %d", len(msgs), total)
	}
	for i, m := range msgs {
		if want := int64(i + 1); m.Seq != want || m.ID != idBySeq[want] {
			t.Errorf("ListMessages[%d] = seq %d, id %s, want seq %d, id %s", i, m.Seq, m.ID, want, idBySeq[want])
		}
	}
}

// testConcurrentDuplicates: retries of one message racing on several
// handles store it exactly once, and every racer gets that one back.
func testConcurrentDuplicates(t *testing.T, h harness) {
	const handles, perHandle = 4, 4
	rs := h.handles(t, handles)

	t.Run("AppendMessage", func(t *testing.T) {
		start := startOn(t, rs[0], "user-race", at(0))
		id := start.Session.ID
		clientID := newID("cli")
		results := make([]chat.AppendResult, handles*perHandle)
		race(t, len(results), func(i int) error {
			m := userMessage(id, "user-race", at(time.Second))
			m.ClientMsgID = clientID
			m.Sealed = sealed(fmt.Sprintf("attempt %d", i))
			var err error
			results[i], err = rs[i%handles].AppendMessage(t.Context(), m)
			return err
		})
		if t.Failed() {
			return
		}
		winner := checkOneWinner(t, results)
		if winner.Message.Seq != 2 {
			t.Errorf("stored message has seq %d, want 2", winner.Message.Seq)
		}
		if msgs := allMessages(t, rs[0], id); len(msgs) != 2 {
			t.Errorf("%d messages stored, want 2", len(msgs))
		}
		if s := mustGet(t, rs[0], id); s.LastSeq != 2 {
			t.Errorf("LastSeq = %d, want 2", s.LastSeq)
		}
	})

	t.Run("StartSession", func(t *testing.T) {
		user := newID("user")
		clientID := newID("cli")
		sessions := make([]chat.Session, handles*perHandle)
		results := make([]chat.AppendResult, len(sessions))
		for i := range sessions {
			sessions[i] = newSession(user, at(0))
		}
		race(t, len(results), func(i int) error {
			first := userMessage(sessions[i].ID, user, at(0))
			first.ClientMsgID = clientID
			var err error
			results[i], err = rs[i%handles].StartSession(t.Context(), sessions[i], first)
			return err
		})
		if t.Failed() {
			return
		}
		winner := checkOneWinner(t, results)
		for i, res := range results {
			if res.Session.ID != winner.Session.ID {
				t.Errorf("racer %d got session %s, want %s", i, res.Session.ID, winner.Session.ID)
			}
		}
		checkUserSessions(t, rs[0], user, 1)
	})
}

// race runs n calls of fn at once and reports their errors.
func race(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-ready
			if err := fn(i); err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
		})
	}
	close(ready)
	wg.Wait()
}

// checkOneWinner fails the test unless exactly one result stored its
// message and all others got that same message back as a duplicate.
func checkOneWinner(t *testing.T, results []chat.AppendResult) chat.AppendResult {
	t.Helper()
	var winners []chat.AppendResult
	for _, res := range results {
		if !res.Duplicate {
			winners = append(winners, res)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d racers stored the message, want exactly 1", len(winners))
	}
	winner := winners[0]
	for i, res := range results {
		checkMessage(t, fmt.Sprintf("racer %d", i), res.Message, winner.Message)
	}
	return winner
}
