//go:build linux

package faults

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// sessions is how many sessions stream replies when an instance is killed.
func sessions() int {
	if os.Getenv("CHATBOX_FAULT_FULL") == "1" {
		return 200
	}
	return 20
}

// replies answers by the question's first word, so each test picks the
// model's behaviour through what its users ask:
//
//	long ...  40 tokens over about 2s
//	gated ... 3 tokens, then the rest once gate is closed (a reply that is
//	          certainly still streaming when a fault strikes)
//	fail ...  HTTP 500 from the provider
//	hang ...  no response at all until the client gives up
//	stall ... two tokens, then silence
//	anything else: an immediate echo
func replies(never, gate <-chan struct{}) func(llmtest.Request) llmtest.Reply {
	return func(req llmtest.Request) llmtest.Reply {
		// Consecutive user messages without a reply between them reach
		// the model as one turn: the newest question is the last part.
		q := req.LastUser()
		if i := strings.LastIndex(q, "\n\n"); i >= 0 {
			q = q[i+2:]
		}
		switch {
		case strings.HasPrefix(q, "long"):
			return llmtest.Reply{Tokens: llmtest.Tokenize(strings.Repeat("streaming ", 40)), TokenDelay: 50 * time.Millisecond}
		case strings.HasPrefix(q, "gated"):
			return llmtest.Reply{Tokens: llmtest.Tokenize(strings.Repeat("streaming ", 20)), Gate: gate, GateAfter: 3}
		case strings.HasPrefix(q, "fail"):
			return llmtest.Reply{FailStatus: http.StatusInternalServerError}
		case strings.HasPrefix(q, "hang"):
			return llmtest.Reply{HoldHeaders: never}
		case strings.HasPrefix(q, "stall"):
			return llmtest.Reply{Tokens: []string{"half", " an"}, Hang: true}
		}
		return llmtest.EchoReply(req)
	}
}

// TestFaultInjection runs each fault against a fresh pair of instances.
func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("fault injection builds and runs the chatbox binary; skipped under -short")
	}
	bin := buildChatbox(t, t.TempDir())
	never, gate := make(chan struct{}), make(chan struct{})
	llm := llmtest.NewServer(t, llmtest.WithReply(replies(never, gate)))
	newCluster := func(t *testing.T, extra map[string]string) *cluster {
		return &cluster{t: t, bin: bin, dir: t.TempDir(), nats: startNATS(t), llmURL: llm.URL, extra: extra}
	}

	t.Run("kill -9 an instance while sessions stream", func(t *testing.T) {
		// Gated replies wait for the kill however long the set-up takes:
		// no whole-reply limit may end them first.
		c := newCluster(t, map[string]string{"LLM_PROVIDER_1_TIMEOUT": "5m"})
		killInstance(t, c, sessions(), func() { close(gate) })
	})
	t.Run("NATS outage", func(t *testing.T) {
		natsOutage(t, newCluster(t, nil))
	})
	t.Run("slow, failing and hanging model", func(t *testing.T) {
		modelFaults(t, newCluster(t, nil))
	})
	t.Run("storage write errors", func(t *testing.T) {
		storageWriteErrors(t, newCluster(t, nil))
	})
}

// eachChatter runs f for every chatter concurrently and fails the test
// with every error.
func eachChatter(t *testing.T, chatters []*chatter, f func(i int, c *chatter) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(chatters))
	for i, c := range chatters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i, c)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// checkDelivery checks the invariants of one session against storage:
// every message the server acknowledged is stored exactly once, every
// stored message reached the client exactly once across all its
// connections (live, or replayed by a resume), and nothing else did; and
// no question has two complete answers. It returns how many messages the
// session has stored.
func checkDelivery(t *testing.T, in *instance, c *chatter) (stored int) {
	t.Helper()
	messages := in.storedMessages(c.user, c.sessionID)
	byClientID := map[string]int{}
	answers := map[int64]int{}
	seqs := map[int64]bool{}
	for _, m := range messages {
		seqs[m.Seq] = true
		if m.Sender == "user" {
			byClientID[m.ClientMsgID]++
		}
		if m.Sender == "ai" && !m.Interrupted {
			if answers[m.ReplyTo]++; answers[m.ReplyTo] > 1 {
				t.Errorf("%s: question seq %d answered %d times", c.user, m.ReplyTo, answers[m.ReplyTo])
			}
		}
		if n := c.delivered[m.Seq]; n != 1 {
			t.Errorf("%s: stored message seq %d (%s) delivered %d times, want exactly once", c.user, m.Seq, m.Sender, n)
		}
	}
	for id := range c.acked {
		if byClientID[id] != 1 {
			t.Errorf("%s: acknowledged message %s stored %d times, want exactly once", c.user, id, byClientID[id])
		}
	}
	for id, n := range byClientID {
		if n != 1 {
			t.Errorf("%s: client_msg_id %s stored %d times", c.user, id, n)
		}
	}
	for seq := range c.delivered {
		if !seqs[seq] {
			t.Errorf("%s: delivered message seq %d is not stored", c.user, seq)
		}
	}
	return len(messages)
}

// killInstance: n users chat, half through each instance; once every one
// of them has a reply streaming (held mid-stream until release), instance
// A is killed with SIGKILL. A's users reconnect to B and resume from the
// last seq they saw; B's users never notice. B stays ready throughout, and
// everyone can go on chatting.
func killInstance(t *testing.T, c *cluster, n int, release func()) {
	a, b := c.start("A"), c.start("B")
	chatters := make([]*chatter, n)
	home := func(i int) *instance {
		if i%2 == 0 {
			return a
		}
		return b
	}
	for i := range chatters {
		user := fmt.Sprintf("user%03d", i)
		chatters[i] = newChatter(user, token(t, user))
	}
	t.Cleanup(func() {
		for _, ch := range chatters {
			ch.close()
		}
	})
	eachChatter(t, chatters, func(i int, ch *chatter) error {
		if err := ch.connect(home(i)); err != nil {
			return err
		}
		if err := ch.ask("q1", "hello"); err != nil {
			return err
		}
		if f, err := ch.reply(); err != nil || f.str("type") == "error" {
			return fmt.Errorf("%s: first reply: %v %v", ch.user, f, err)
		}
		if err := ch.ask("q2", "gated answer please"); err != nil {
			return err
		}
		// The reply is streaming once its first delta arrives.
		if _, err := ch.until(func(f frame) bool { return f.str("type") == "ai_response" }); err != nil {
			return err
		}
		// A follow-up while the reply streams: the instance generating
		// owes it a reply too.
		return ch.ask("q2b", "and one more thing")
	})

	watchB := watchReadiness(b)
	a.kill()
	release()
	eachChatter(t, chatters, func(i int, ch *chatter) error {
		if home(i) == a {
			if err := ch.waitDropped(); err != nil {
				return err
			}
			ch.close()
			if err := ch.connect(b); err != nil {
				return err
			}
			if f, err := ch.resume(); err != nil || f.str("type") != "resumed" {
				return fmt.Errorf("%s: resume on B: %v %v", ch.user, f, err)
			}
			// The question A was answering when it died, and the
			// follow-up sent meanwhile, are answered by B once A's reply
			// lease expires (REPLY_LEASE_TTL).
			if err := ch.answerTo(ch.acked["q2b"]); err != nil {
				return fmt.Errorf("%s: the questions A owed got no answer from B: %w", ch.user, err)
			}
		} else {
			// B's own replies finish as if nothing happened, the
			// follow-up's answer after the streaming one.
			if f, err := ch.reply(); err != nil || f.str("type") == "error" {
				return fmt.Errorf("%s: streaming reply on B: %v %v", ch.user, f, err)
			}
			if err := ch.answerTo(ch.acked["q2b"]); err != nil {
				return fmt.Errorf("%s: the follow-up sent during a reply got no answer: %w", ch.user, err)
			}
		}
		// Recovery without a restart: the conversation goes on, on B.
		if err := ch.ask("q3", "still there?"); err != nil {
			return err
		}
		if f, err := ch.reply(); err != nil || f.str("type") == "error" {
			return fmt.Errorf("%s: reply after the kill: %v %v", ch.user, f, err)
		}
		return nil
	})
	codes, failures := watchB.finish()
	if len(codes) != 1 || codes[http.StatusOK] == 0 {
		t.Errorf("B's readiness during the kill: %v (failing: %v), want only 200", codes, failures)
	}
	acked, stored, cut := 0, 0, 0
	for i, ch := range chatters {
		acked += len(ch.acked)
		stored += checkDelivery(t, b, ch)
		messages := b.storedMessages(ch.user, ch.sessionID)
		for _, q := range []string{"q2", "q2b", "q3"} {
			if !answered(messages, ch.acked[q]) {
				t.Errorf("%s: question %s (seq %d) has no complete answer", ch.user, q, ch.acked[q])
			}
		}
		if home(i) == a && !answered(messages, ch.acked["q2"]) {
			cut++
		}
	}
	if cut > 0 {
		t.Errorf("%d questions A was answering when it died have no complete answer", cut)
	}
	t.Logf("killed A while all %d of its replies streamed (%d sessions in all); %d of those questions have no complete answer since; readiness of B: %v; %d acknowledged user messages, %d stored messages checked",
		(n+1)/2, n, cut, codes, acked, stored)
}

// answered reports whether messages hold a complete answer covering
// seq: one replying to it or to a later question of the same burst.
func answered(messages []storedMessage, seq int64) bool {
	for _, m := range messages {
		if m.Sender == "ai" && m.ReplyTo >= seq && !m.Interrupted {
			return true
		}
	}
	return false
}

// natsOutage: NATS goes away and comes back. Both instances report it
// (readiness 503 naming the bus) and recover on their own; a message sent
// during the outage is either refused or acknowledged, and then stored
// once and replayed once.
func natsOutage(t *testing.T, c *cluster) {
	a, b := c.start("A"), c.start("B")
	alice, bob := newChatter("alice", token(t, "alice")), newChatter("bob", token(t, "bob"))
	defer alice.close()
	defer bob.close()
	for _, step := range []error{alice.connect(a), bob.connect(b), alice.ask("a1", "before"), bob.ask("b1", "before")} {
		if step != nil {
			t.Fatal(step)
		}
	}
	for _, ch := range []*chatter{alice, bob} {
		if f, err := ch.reply(); err != nil || f.str("type") == "error" {
			t.Fatalf("%s: reply before the outage: %v %v", ch.user, f, err)
		}
	}

	c.nats.stop()
	for _, in := range []*instance{a, b} {
		if checks := in.waitReady(http.StatusServiceUnavailable); checks["bus"] == "ok" {
			t.Fatalf("%s not ready during the NATS outage but the bus check says ok: %v", in.name, checks)
		}
	}
	// During the outage: whatever the answer, an acknowledgement means
	// stored.
	outage := map[*chatter]error{}
	for _, ch := range []*chatter{alice, bob} {
		outage[ch] = ch.ask(ch.user[:1]+"2", "during the outage")
	}

	c.nats.restart()
	a.waitReady(http.StatusOK)
	b.waitReady(http.StatusOK)
	for _, ch := range []*chatter{alice, bob} {
		// Reconnect (possibly to the other instance) and catch up.
		ch.close()
		if err := ch.connect(b); err != nil {
			t.Fatal(err)
		}
		if f, err := ch.resume(); err != nil || f.str("type") != "resumed" {
			t.Fatalf("%s: resume after the outage: %v %v", ch.user, f, err)
		}
		if err := ch.ask(ch.user[:1]+"3", "after the outage"); err != nil {
			t.Fatalf("%s: after the outage: %v", ch.user, err)
		}
		if _, err := ch.until(func(f frame) bool {
			return f.str("type") == "message" && f.str("sender") == "ai" && f.str("content") != "" && strings.Contains(f.str("content"), "after the outage")
		}); err != nil {
			t.Fatalf("%s: no answer after the outage: %v", ch.user, err)
		}
		checkDelivery(t, b, ch)
		t.Logf("%s: message during the outage: %v", ch.user, outage[ch])
	}
}

// modelFaults: a slow model answers in full; a failing one gives the user
// llm_unavailable at once; one that never answers, or stalls mid-reply,
// gives llm_unavailable when the provider's whole-reply limit ends it (with
// a single provider there is no other to fail over to after the first-token
// timeout); and the conversation goes on afterwards.
func modelFaults(t *testing.T, c *cluster) {
	a := c.start("A")
	ch := newChatter("carol", token(t, "carol"))
	defer ch.close()
	if err := ch.connect(a); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		question string
		wantErr  bool
	}{
		// Never three failures in a row: that opens the provider's
		// circuit breaker for 30s, which the failover tests cover.
		{"long but slow", false},
		{"hang forever", true},
		{"fail please", true},
		{"fine again", false},
		{"stall midway", true},
		{"fine once more", false},
	} {
		id := fmt.Sprintf("c%d", i)
		if err := ch.ask(id, tc.question); err != nil {
			t.Fatal(err)
		}
		asked := time.Now()
		f, err := ch.reply()
		t.Logf("%q answered after %v: %v", tc.question, time.Since(asked).Round(10*time.Millisecond), f.str("type"))
		if err != nil {
			t.Fatalf("%q: %v (a hang past the timeouts)", tc.question, err)
		}
		if gotErr := f.str("type") == "error"; gotErr != tc.wantErr {
			t.Fatalf("%q: got %v, want error=%v", tc.question, f, tc.wantErr)
		}
		if tc.wantErr && f.str("code") != "llm_unavailable" {
			t.Fatalf("%q: error %v, want llm_unavailable", tc.question, f)
		}
	}
	checkDelivery(t, a, ch)
}

// storageWriteErrors: the instance's storage writes start failing as on a
// full disk (RLIMIT_FSIZE), then work again. Users get a clear error,
// readiness turns 503 naming storage, nothing unacknowledged is stored and
// nothing acknowledged is lost, and the instance recovers without a
// restart. Regression test for readiness staying green while no write
// could succeed (the storage check only read).
func storageWriteErrors(t *testing.T, c *cluster) {
	a := c.start("A")
	ch := newChatter("dave", token(t, "dave"))
	defer ch.close()
	if err := ch.connect(a); err != nil {
		t.Fatal(err)
	}
	if err := ch.ask("d1", "before"); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.reply(); err != nil {
		t.Fatal(err)
	}

	a.limitFileSize(1)
	err := ch.ask("d2", "while the disk is full")
	if err == nil {
		t.Fatal("a message was acknowledged while no storage write could succeed")
	}
	t.Logf("while writes fail: %v", err)
	// Readiness tells the truth: a read would still succeed, but the
	// storage check probes a write.
	if checks := a.waitReady(http.StatusServiceUnavailable); checks["storage"] == "ok" {
		t.Fatalf("readiness while writes fail names %v, want storage failing", checks)
	}

	a.limitFileSize(0)
	if err := ch.ask("d3", "after the disk has room"); err != nil {
		t.Fatalf("no recovery without a restart: %v", err)
	}
	if f, err := ch.reply(); err != nil || f.str("type") == "error" {
		t.Fatalf("reply after recovery: %v %v", f, err)
	}
	a.waitReady(http.StatusOK)
	checkDelivery(t, a, ch)
	for _, m := range a.storedMessages(ch.user, ch.sessionID) {
		if m.ClientMsgID == "d2" {
			t.Errorf("the refused message d2 was stored")
		}
	}
}
