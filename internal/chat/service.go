package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Limits on what a client may send, enforced here so every transport gets
// the same answer.
const (
	MaxClientMsgIDLen = 128
	MaxContentBytes   = 32 << 10
)

// Config is what a Service is built from. Repo, Sealer, Bus and at least one
// Model are required.
type Config struct {
	Repo         Repository
	Sealer       Sealer
	Bus          Bus
	Models       []Model
	DefaultModel string // public model id; "" means Models[0]
	History      HistoryBudget
	Logger       *slog.Logger
	Now          func() time.Time // for tests; defaults to time.Now
	Hooks        Hooks
	// DailyTokenBudget caps the tokens (input plus output, as providers
	// report them) one user's replies may use per UTC day; 0: no cap.
	DailyTokenBudget int
	// ReplyLease: how replies survive the instance generating them.
	ReplyLease ReplyLeaseConfig
	// Uploads enables file attachments (uploads.go); nil refuses them.
	Uploads *Uploads
}

// Service is the chat domain's entry point for transports: it validates and
// stores messages, publishes committed events, and runs the assistant.
type Service struct {
	repo    Repository
	sealer  Sealer
	bus     Bus
	models  map[string]Model
	ordered []Model
	def     string
	history HistoryBudget
	log     *slog.Logger
	now     func() time.Time
	hooks   Hooks
	budget  int
	lease   ReplyLeaseConfig
	uploads *Uploads
	asst    *assistant
}

// NewService checks cfg and builds a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Repo == nil || cfg.Sealer == nil || cfg.Bus == nil {
		return nil, errors.New("chat: repository, sealer and bus are required")
	}
	if len(cfg.Models) == 0 {
		return nil, errors.New("chat: at least one model is required")
	}
	s := &Service{
		repo:    cfg.Repo,
		sealer:  cfg.Sealer,
		bus:     cfg.Bus,
		models:  make(map[string]Model, len(cfg.Models)),
		ordered: cfg.Models,
		def:     cfg.DefaultModel,
		history: cfg.History,
		log:     cfg.Logger,
		now:     cfg.Now,
		hooks:   cfg.Hooks,
		budget:  cfg.DailyTokenBudget,
		lease:   cfg.ReplyLease,
		uploads: cfg.Uploads,
	}
	for _, m := range cfg.Models {
		if m.ID == "" || m.Provider == nil {
			return nil, fmt.Errorf("chat: model %q needs an id and a provider", m.ID)
		}
		if _, dup := s.models[m.ID]; dup {
			return nil, fmt.Errorf("chat: model id %q configured twice", m.ID)
		}
		s.models[m.ID] = m
	}
	if s.def == "" {
		s.def = cfg.Models[0].ID
	}
	if _, ok := s.models[s.def]; !ok {
		return nil, fmt.Errorf("chat: default model %q is not configured (configured: %v)", s.def, s.modelIDs())
	}
	if s.history.MaxMessages <= 0 {
		s.history.MaxMessages = 50
	}
	if s.history.MaxChars <= 0 {
		s.history.MaxChars = 24000
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lease.Instance == "" {
		s.lease.Instance = newID()
	}
	if s.lease.TTL <= 0 {
		s.lease.TTL = DefaultReplyLeaseTTL
	}
	s.asst = newAssistant(s)
	return s, nil
}

func (s *Service) modelIDs() []string {
	ids := make([]string, 0, len(s.ordered))
	for _, m := range s.ordered {
		ids = append(ids, m.ID)
	}
	return ids
}

// ModelInfo is the public description of a model.
type ModelInfo struct {
	ID        string
	Name      string
	Available bool // false while every provider that could serve it is failing
}

// availability is implemented by providers that know whether they can
// answer right now (a failover chain whose circuit breakers are all open
// cannot); providers without it are taken as available.
type availability interface {
	Available() bool
}

// Models lists the models users can pick, in configured order.
func (s *Service) Models() []ModelInfo {
	out := make([]ModelInfo, 0, len(s.ordered))
	for _, m := range s.ordered {
		available := true
		if p, ok := m.Provider.(availability); ok {
			available = p.Available()
		}
		out = append(out, ModelInfo{ID: m.ID, Name: m.Name, Available: available})
	}
	return out
}

// DefaultModel is the id of the model new sessions use unless they pick one.
func (s *Service) DefaultModel() string { return s.def }

// UserMessage is a message a user sends.
type UserMessage struct {
	SessionID   string // "" starts a new session
	ClientMsgID string // required idempotency key
	Content     string
	ModelID     string   // optional: pick the session's model
	Attachments []string // optional: file ids of the sender's uploads (attach.go)
}

// Sent is the outcome of Send.
type Sent struct {
	Message   Message
	Session   Session
	Duplicate bool // the ClientMsgID was seen before; Message is the original
}

// Send stores a user's message (starting a session when SessionID is empty),
// publishes it, and makes sure the assistant answers it. The message is
// durable when Send returns without error; a repeated ClientMsgID returns the
// original message and stores nothing new.
func (s *Service) Send(ctx context.Context, actor Actor, in UserMessage) (Sent, error) {
	if err := validateUserMessage(in); err != nil {
		return Sent{}, err
	}
	if s.asst.isDraining() {
		return Sent{}, ErrDraining
	}
	if err := s.checkBudget(ctx, actor); err != nil {
		return Sent{}, err
	}
	if err := s.checkAttachments(ctx, actor, in); err != nil {
		return Sent{}, err
	}
	now := Millis(s.now())
	msg := Message{
		MessageMeta: MessageMeta{
			ID:          newID(),
			SessionID:   in.SessionID,
			ClientMsgID: in.ClientMsgID,
			AuthorID:    actor.ID,
			Sender:      SenderUser,
			SenderName:  actor.Name,
			CreatedAt:   now,
		},
		Content: in.Content,
	}
	var res AppendResult
	if in.SessionID == "" {
		modelID := in.ModelID
		if modelID == "" {
			modelID = s.def
		}
		if _, ok := s.models[modelID]; !ok {
			return Sent{}, fmt.Errorf("%w: unknown model %q", ErrInvalid, modelID)
		}
		msg.SessionID = newID()
		sealed, err := s.seal(msg)
		if err != nil {
			return Sent{}, err
		}
		title, err := s.sealTitle(msg.SessionID, titleOf(in.Content))
		if err != nil {
			return Sent{}, fmt.Errorf("seal title: %w", err)
		}
		sess := Session{
			ID: msg.SessionID, UserID: actor.ID, UserName: actor.Name, ModelID: modelID,
			Status: StatusActive, Owner: OwnerAI, CreatedAt: now, UpdatedAt: now, SealedTitle: title,
		}
		if res, err = s.repo.StartSession(ctx, sess, sealed); err != nil {
			return Sent{}, fmt.Errorf("start session: %w", err)
		}
	} else {
		sess, err := s.ownSession(ctx, actor, in.SessionID)
		if err != nil {
			return Sent{}, err
		}
		if in.ModelID != "" && in.ModelID != sess.ModelID {
			if _, err := s.SelectModel(ctx, actor, sess.ID, in.ModelID); err != nil {
				return Sent{}, err
			}
		}
		sealed, err := s.seal(msg)
		if err != nil {
			return Sent{}, err
		}
		if res, err = s.repo.AppendMessage(ctx, sealed); err != nil {
			return Sent{}, fmt.Errorf("append message: %w", err)
		}
	}
	stored, err := s.open(res.Message)
	if err != nil {
		return Sent{}, err
	}
	if res.Session.UserID != actor.ID {
		// Idempotency keys include the author, so a duplicate is always the
		// actor's own message; this guard keeps it so if that ever changes.
		return Sent{}, ErrNotFound
	}
	if stored, err = s.attach(ctx, actor, stored, in.Attachments); err != nil {
		return Sent{}, err
	}
	if !res.Duplicate {
		s.publish(Event{Type: EventMessage, SessionID: stored.SessionID, Message: &stored})
		if in.SessionID == "" {
			s.publish(Event{Type: EventFeed, SessionID: AdminFeed, Feed: FeedSessionCreated, Session: &res.Session})
		}
	}
	// Also on a duplicate: a retry after a failed reply asks again, and the
	// assistant only answers a question that is still owed. The debt is
	// stored before the kick, so if this instance dies before answering,
	// another one does (RecoverReplies).
	if err := s.repo.OweReply(ctx, stored.SessionID, stored.Seq, now); err != nil {
		return Sent{}, fmt.Errorf("record owed reply: %w", err)
	}
	s.asst.kick(stored.SessionID)
	return Sent{Message: stored, Session: s.titled(res.Session), Duplicate: res.Duplicate}, nil
}

// checkBudget refuses a new message once the user's replies used up the
// daily token budget: checked before storing, so the refused message is not
// half-accepted and the client can show the error next to it.
func (s *Service) checkBudget(ctx context.Context, actor Actor) error {
	if s.budget <= 0 {
		return nil
	}
	used, err := s.repo.UserUsage(ctx, actor.ID, s.now())
	if err != nil {
		return fmt.Errorf("check token budget: %w", err)
	}
	if used.Total() >= s.budget {
		return fmt.Errorf("%w: %d of %d tokens used today (UTC)", ErrQuotaExceeded, used.Total(), s.budget)
	}
	return nil
}

// SessionUsage returns the tokens a session's replies used, for the session's
// owner or an admin.
func (s *Service) SessionUsage(ctx context.Context, actor Actor, sessionID string) (Usage, error) {
	if _, err := s.Session(ctx, actor, sessionID); err != nil {
		return Usage{}, err
	}
	return s.repo.SessionUsage(ctx, sessionID)
}

func validateUserMessage(in UserMessage) error {
	switch {
	case in.ClientMsgID == "":
		return fmt.Errorf("%w: client_msg_id is required", ErrInvalid)
	case len(in.ClientMsgID) > MaxClientMsgIDLen:
		return fmt.Errorf("%w: client_msg_id longer than %d bytes", ErrInvalid, MaxClientMsgIDLen)
	case blank(in.Content):
		return fmt.Errorf("%w: content is empty", ErrInvalid)
	case len(in.Content) > MaxContentBytes:
		return fmt.Errorf("%w: content longer than %d bytes", ErrTooLarge, MaxContentBytes)
	case !utf8.ValidString(in.Content) || !utf8.ValidString(in.ClientMsgID):
		return fmt.Errorf("%w: text is not valid UTF-8", ErrInvalid)
	case containsNUL(in.Content) || containsNUL(in.ClientMsgID) || containsNUL(in.SessionID):
		return fmt.Errorf("%w: text contains a NUL byte", ErrInvalid)
	}
	return nil
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// Session returns a session the actor may see: their own, or any for an
// admin. Anyone else's is reported as ErrNotFound so ids cannot be probed.
func (s *Service) Session(ctx context.Context, actor Actor, id string) (Session, error) {
	sess, err := s.repo.GetSession(ctx, id)
	if err != nil {
		return Session{}, err
	}
	if sess.UserID != actor.ID && !actor.Admin {
		return Session{}, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return s.titled(sess), nil
}

// ownSession returns a session only to the user it belongs to: an admin
// watching a session does not write in it as its user.
func (s *Service) ownSession(ctx context.Context, actor Actor, id string) (Session, error) {
	sess, err := s.repo.GetSession(ctx, id)
	if err != nil {
		return Session{}, err
	}
	if sess.UserID != actor.ID {
		return Session{}, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	return sess, nil
}

// Messages returns up to limit messages of a session with seq > afterSeq.
func (s *Service) Messages(ctx context.Context, actor Actor, sessionID string, afterSeq int64, limit int) ([]Message, error) {
	if _, err := s.Session(ctx, actor, sessionID); err != nil {
		return nil, err
	}
	sms, err := s.repo.ListMessages(ctx, sessionID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	msgs, err := s.openAll(sms)
	if err != nil {
		return nil, err
	}
	return s.withAttachments(ctx, sessionID, msgs)
}

// Sessions lists the actor's own sessions, newest first.
func (s *Service) Sessions(ctx context.Context, actor Actor, cursor string, limit int) (SessionPage, error) {
	page, err := s.repo.ListSessions(ctx, SessionQuery{UserID: actor.ID, Cursor: cursor, Limit: limit})
	if err != nil {
		return SessionPage{}, fmt.Errorf("list sessions: %w", err)
	}
	return s.titledPage(page), nil
}

// SelectModel changes the model answering a session from its next reply on.
func (s *Service) SelectModel(ctx context.Context, actor Actor, sessionID, modelID string) (Session, error) {
	if _, ok := s.models[modelID]; !ok {
		return Session{}, fmt.Errorf("%w: unknown model %q", ErrInvalid, modelID)
	}
	if _, err := s.ownSession(ctx, actor, sessionID); err != nil {
		return Session{}, err
	}
	sess, err := s.repo.SetSessionModel(ctx, sessionID, modelID, Millis(s.now()))
	if err != nil {
		return Session{}, fmt.Errorf("select model: %w", err)
	}
	s.publish(Event{Type: EventStatus, SessionID: sessionID, Session: &sess})
	return s.titled(sess), nil
}

// EndSession ends one of the actor's sessions. A reply being generated is
// stopped first and its partial text stored, so nothing streamed is lost.
//
// Users end their own sessions; admins may end any.
func (s *Service) EndSession(ctx context.Context, actor Actor, sessionID string) (Session, error) {
	current, err := s.Session(ctx, actor, sessionID)
	if err != nil {
		return Session{}, err
	}
	reason := EndByUser
	if current.UserID != actor.ID {
		reason = EndByAdmin
	}
	if err := s.asst.stop(ctx, sessionID); err != nil {
		return Session{}, err
	}
	sess, changed, err := s.repo.EndSession(ctx, sessionID, reason, Millis(s.now()))
	if err != nil {
		return Session{}, fmt.Errorf("end session: %w", err)
	}
	if changed {
		s.announce(sess, FeedSessionEnded)
		if reason == EndByAdmin {
			s.audit(actor, AuditEndSession, sessionID, "")
		}
	}
	return s.titled(sess), nil
}

// snapshotWait bounds asking another instance for a stream snapshot.
const snapshotWait = time.Second

// Snapshot returns the reply currently streaming in a session, from this
// instance or over the bus from the one generating it, so a resuming
// client sees the text generated so far. ok is false when none streams or
// the generating instance does not answer in time.
func (s *Service) Snapshot(ctx context.Context, sessionID string) (StreamSnapshot, bool) {
	if snap, ok := s.asst.snapshot(sessionID); ok {
		return snap, true
	}
	ctx, cancel := context.WithTimeout(ctx, snapshotWait)
	defer cancel()
	snap, ok, err := s.bus.RequestSnapshot(ctx, sessionID)
	if err != nil {
		s.log.Debug("stream snapshot unavailable", "session_id", sessionID, "err", err)
		return StreamSnapshot{}, false
	}
	return snap, ok
}

// Drain stops accepting new messages and waits for replies in progress to
// finish and be stored. When ctx ends first, the remaining replies are
// cancelled and their partial text stored as interrupted.
func (s *Service) Drain(ctx context.Context) error { return s.asst.drain(ctx) }

// Busy reports how many replies are being generated on this instance.
func (s *Service) Busy() int { return s.asst.busy() }

// publish announces a committed change. The bus is at most once, so a failure
// is logged, not returned: the change is stored, and clients catch up from
// storage by seq.
func (s *Service) publish(ev Event) {
	if ev.Session != nil {
		titled := s.titled(*ev.Session)
		ev.Session = &titled
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.bus.Publish(ctx, ev); err != nil {
		s.log.Warn("publish event failed; clients will catch up from storage",
			"session_id", ev.SessionID, "type", ev.Type, "err", err)
	}
}

// newID returns a time-ordered unique id (UUIDv7).
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// Only when the system's random source fails; a v4 id is as unique.
		return uuid.NewString()
	}
	return id.String()
}
