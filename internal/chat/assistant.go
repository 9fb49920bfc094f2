package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// persistTimeout bounds storing a finished reply; it runs on a context that
// outlives cancellation so a stopped reply is still saved.
const persistTimeout = 10 * time.Second

// StreamSnapshot is the state of a reply being streamed.
type StreamSnapshot struct {
	StreamID string
	ReplyTo  int64
	Text     string // everything generated so far
	Deltas   int    // number of deltas Text is made of
}

// assistant runs at most one reply generation per session on this instance.
// A message arriving while a reply streams marks the run pending, and the
// run answers again when it finishes (the model then sees both questions).
type assistant struct {
	svc *Service

	mu       sync.Mutex
	runs     map[string]*run
	draining bool
	wg       sync.WaitGroup
}

type run struct {
	pending bool
	cancel  context.CancelFunc // cancels the reply in progress
	done    chan struct{}      // closed when the run's goroutine exits
	stream  *StreamSnapshot    // nil between replies
}

func newAssistant(svc *Service) *assistant {
	return &assistant{svc: svc, runs: make(map[string]*run)}
}

func (a *assistant) isDraining() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.draining
}

func (a *assistant) busy() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.runs)
}

// kick makes sure a run for sessionID is going and will look at the
// session's newest messages.
func (a *assistant) kick(sessionID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.draining {
		return
	}
	if r, ok := a.runs[sessionID]; ok {
		r.pending = true
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{cancel: cancel, done: make(chan struct{})}
	a.runs[sessionID] = r
	a.wg.Add(1)
	go a.loop(ctx, sessionID, r)
}

func (a *assistant) loop(ctx context.Context, sessionID string, r *run) {
	defer a.wg.Done()
	defer close(r.done)
	defer r.cancel()
	for {
		if err := a.answer(ctx, sessionID, r); err != nil {
			a.svc.log.Error("assistant reply failed", "session_id", sessionID, "err", err)
		}
		a.mu.Lock()
		if !r.pending || ctx.Err() != nil {
			delete(a.runs, sessionID)
			a.mu.Unlock()
			return
		}
		r.pending = false
		a.mu.Unlock()
	}
}

// answer generates one reply if the session's newest user message is still
// unanswered, streaming deltas on the bus and storing the result.
func (a *assistant) answer(ctx context.Context, sessionID string, r *run) error {
	svc := a.svc
	// Only the instance holding the session's reply lease answers; the
	// question of an instance that died is answered elsewhere once its
	// lease expires (RecoverReplies).
	claimed, err := a.claim(ctx, sessionID)
	if err != nil || !claimed {
		return err
	}
	var answered int64 // the newest user seq this run answered; 0: none, only release the lease
	defer func() {
		if a.settle(sessionID, answered) && answered > 0 {
			a.markPending(r) // a newer question came in meanwhile, maybe on another instance
		}
	}()
	// Follow the session before reading it: a takeover or an end committed
	// after the read below arrives on the bus and stops this reply, on
	// whichever instance generates it.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	defer a.keepLease(sessionID, stop)()
	unsubscribe, err := svc.bus.Subscribe(sessionID, func(ev Event) {
		if ev.Type == EventStatus && ev.Session != nil && !answerable(*ev.Session) {
			stop(errHandedOver)
		}
	})
	if err != nil {
		return fmt.Errorf("follow session: %w", err)
	}
	defer unsubscribe()
	// Clients resuming on other instances ask this one for the text so far.
	stopServing, err := svc.bus.ServeSnapshot(sessionID, func() (StreamSnapshot, bool) { return a.snapshot(sessionID) })
	if err != nil {
		return fmt.Errorf("serve stream snapshots: %w", err)
	}
	defer stopServing()
	sess, err := svc.repo.GetSession(ctx, sessionID)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	if !answerable(sess) {
		answered = sess.LastSeq // a human answers, or nobody: the AI owes nothing
		return nil
	}
	after := max(sess.LastSeq-int64(svc.history.MaxMessages), 0)
	sealed, err := svc.repo.ListMessages(ctx, sessionID, after, svc.history.MaxMessages)
	if err != nil {
		return fmt.Errorf("load history: %w", err)
	}
	msgs, err := svc.openAll(sealed)
	if err != nil {
		return err
	}
	if msgs, err = svc.withAttachments(ctx, sessionID, msgs); err != nil {
		return err
	}
	replyTo, owed := pendingQuestion(msgs)
	if !owed {
		answered = max(sess.LastSeq, lastSeq(msgs))
		return nil
	}
	model, ok := svc.models[sess.ModelID]
	if !ok {
		model = svc.models[svc.def]
	}
	convIDs, err := svc.repo.ConversationIDs(ctx, sessionID)
	if err != nil {
		return fmt.Errorf("load conversation ids: %w", err)
	}
	convs := NewConversationMap(convIDs)
	req := CompletionRequest{
		Model:           model.Upstream,
		System:          model.SystemPrompt,
		Turns:           svc.loadImages(ctx, buildTurns(msgs, svc.history.MaxChars), model.Vision),
		MaxOutputTokens: model.MaxOutputTokens,
		User:            sess.UserID,
		Conversations:   convs,
	}
	svc.capReplyTokens(ctx, sess.UserID, &req)
	streamID := newID()
	a.setStream(r, &StreamSnapshot{StreamID: streamID, ReplyTo: replyTo})

	genCtx := ctx
	if model.Timeout > 0 {
		var cancel context.CancelFunc
		genCtx, cancel = context.WithTimeout(ctx, model.Timeout)
		defer cancel()
	}
	completion, genErr := model.Provider.Stream(genCtx, req, func(delta string) error {
		idx := a.appendDelta(r, delta)
		svc.publish(Event{Type: EventDelta, SessionID: sessionID, Delta: &Delta{
			StreamID: streamID, ReplyTo: replyTo, Index: idx, Text: delta,
		}})
		return nil
	})
	// The snapshot goes before the message is stored: a client resuming in
	// between reads neither, then receives the stored message on the bus it
	// subscribed to first. The other order could show the reply twice.
	text := a.takeStream(r)
	if completion.Text == "" {
		completion.Text = text
	}

	// What the provider spent and remembered counts even when the reply is
	// blank or failed: the tokens were used, and Dify keeps the
	// conversation it started. It is stored after the reply is published,
	// off the path to the user's screen.
	defer a.account(sessionID, completion.Usage, convs.Changed())

	done := Delta{StreamID: streamID, ReplyTo: replyTo, Index: -1, Done: true}
	handedOver := errors.Is(context.Cause(ctx), errHandedOver)
	if genErr != nil && !handedOver {
		done.Error = "The assistant could not finish this reply. Please try again."
		if errors.Is(genErr, context.Canceled) {
			done.Error = "The reply was stopped."
		}
		svc.log.Warn("assistant reply failed", "session_id", sessionID, "model", model.ID,
			"provider", model.Provider.Name(), "partial_chars", len(completion.Text), "err", genErr)
	}
	answered = replyTo // answered, or failed with an error the user sees and may retry
	if errors.Is(context.Cause(ctx), errLeaseLost) || !a.stillLeased(sessionID) {
		// This instance stalled past its lease and another one took the
		// question over: storing this reply too would answer it twice.
		svc.log.Warn("reply dropped: another instance answers this question", "session_id", sessionID)
		answered = 0
		done.Error = ""
		svc.publish(Event{Type: EventDelta, SessionID: sessionID, Delta: &done})
		return nil
	}
	var stored *Message
	if !blank(completion.Text) {
		m, err := a.store(sessionID, model.ID, replyTo, completion, genErr != nil)
		if err != nil {
			done.Error = "The reply could not be saved. Please try again."
			svc.publish(Event{Type: EventDelta, SessionID: sessionID, Delta: &done})
			return err
		}
		stored = &m
	}
	svc.publish(Event{Type: EventDelta, SessionID: sessionID, Delta: &done})
	if stored != nil {
		svc.publish(Event{Type: EventMessage, SessionID: sessionID, Message: stored})
	}
	return nil
}

// errHandedOver stops a reply because a human took the session over or it
// ended: the reply is cut and stored as interrupted, with no error for the
// user.
var errHandedOver = errors.New("session handed over or ended")

// answerable reports whether the assistant may answer the session now.
func answerable(s Session) bool {
	return s.Status == StatusActive && s.Owner != OwnerHuman
}

// store persists a reply. It outlives the run's cancellation: a reply stopped
// by a drain or by the user ending the session is still saved.
func (a *assistant) store(sessionID, modelID string, replyTo int64, c Completion, interrupted bool) (Message, error) {
	svc := a.svc
	ctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
	defer cancel()
	m := Message{
		MessageMeta: MessageMeta{
			ID:          newID(),
			SessionID:   sessionID,
			Sender:      SenderAI,
			SenderName:  svc.models[modelID].Name,
			ReplyTo:     replyTo,
			ModelID:     modelID,
			Interrupted: interrupted,
			TokensIn:    c.Usage.InputTokens,
			TokensOut:   c.Usage.OutputTokens,
			CreatedAt:   Millis(svc.now()),
		},
		Content: strings.TrimRight(c.Text, " \t\r\n"),
	}
	sealed, err := svc.seal(m)
	if err != nil {
		return Message{}, err
	}
	res, err := svc.repo.AppendMessage(ctx, sealed)
	if err != nil {
		return Message{}, fmt.Errorf("store reply: %w", err)
	}
	m.Seq = res.Message.Seq
	return m, nil
}

// account stores a reply's token usage and the provider conversation ids it
// changed. Like store, it outlives the run's cancellation. A failure is
// logged, not returned: the reply itself is fine, only its bookkeeping is
// short.
func (a *assistant) account(sessionID string, u Usage, convs map[string]string) {
	svc := a.svc
	ctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
	defer cancel()
	if u.Total() > 0 {
		if err := svc.repo.RecordUsage(ctx, sessionID, u, svc.now()); err != nil {
			svc.log.Error("storing token usage failed", "session_id", sessionID, "err", err)
		}
	}
	if len(convs) > 0 {
		if err := svc.repo.SetConversationIDs(ctx, sessionID, convs); err != nil {
			svc.log.Error("storing provider conversation ids failed", "session_id", sessionID, "err", err)
		}
	}
}

func (a *assistant) setStream(r *run, s *StreamSnapshot) {
	a.mu.Lock()
	r.stream = s
	a.mu.Unlock()
}

func (a *assistant) appendDelta(r *run, delta string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	idx := r.stream.Deltas
	r.stream.Text += delta
	r.stream.Deltas++
	return idx
}

func (a *assistant) takeStream(r *run) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	text := r.stream.Text
	r.stream = nil
	return text
}

func (a *assistant) snapshot(sessionID string) (StreamSnapshot, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.runs[sessionID]
	if !ok || r.stream == nil {
		return StreamSnapshot{}, false
	}
	return *r.stream, true
}

// stop cancels the session's run, if any, and waits until its partial reply
// is stored.
func (a *assistant) stop(ctx context.Context, sessionID string) error {
	a.mu.Lock()
	r, ok := a.runs[sessionID]
	if ok {
		r.pending = false
		r.cancel()
	}
	a.mu.Unlock()
	if !ok {
		return nil
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop reply: %w", ctx.Err())
	}
}

func (a *assistant) drain(ctx context.Context) error {
	a.mu.Lock()
	a.draining = true
	a.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		a.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
	}
	a.mu.Lock()
	for _, r := range a.runs {
		r.pending = false
		r.cancel()
	}
	a.mu.Unlock()
	select {
	case <-finished:
	case <-time.After(persistTimeout):
	}
	return fmt.Errorf("drain: replies cut short: %w", ctx.Err())
}
