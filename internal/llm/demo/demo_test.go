package demo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm/demo"
)

// Compile-time check that Provider satisfies the domain interface.
var _ chat.Provider = (*demo.Provider)(nil)

func TestStreamLabelledEcho(t *testing.T) {
	tests := []struct {
		name      string
		req       chat.CompletionRequest
		wantIn    []string
		wantInput int
	}{
		{
			name: "echoes the last user turn",
			req: chat.CompletionRequest{System: "be nice", Turns: []chat.Turn{
				{Role: chat.RoleUser, Content: "first"},
				{Role: chat.RoleAssistant, Content: "an answer"},
				{Role: chat.RoleUser, Content: "what   is\nGo?"},
			}},
			wantIn:    []string{"[demo model]", "You said: “what is Go?”", "configure an LLM provider (see README)"},
			wantInput: 2 + 1 + 2 + 3,
		},
		{
			name:      "greets without a user turn",
			req:       chat.CompletionRequest{},
			wantIn:    []string{"[demo model]", "Hello!", "configure an LLM provider"},
			wantInput: 0,
		},
		{
			name:      "shortens long messages",
			req:       chat.CompletionRequest{Turns: []chat.Turn{{Role: chat.RoleUser, Content: strings.Repeat("word ", 100)}}},
			wantIn:    []string{"[demo model]", "word …”"},
			wantInput: 100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := demo.NewWithOptions(demo.Options{})
			var deltas []string
			got, err := p.Stream(t.Context(), tt.req, func(d string) error {
				if d == "" {
					t.Error("empty delta emitted")
				}
				deltas = append(deltas, d)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(deltas) < 2 {
				t.Fatalf("%d deltas, want a streamed reply", len(deltas))
			}
			if got.Text != strings.Join(deltas, "") || got.Text != demo.Reply(tt.req) {
				t.Fatalf("text %q, deltas %q", got.Text, deltas)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(got.Text, s) {
					t.Fatalf("reply %q lacks %q", got.Text, s)
				}
			}
			want := chat.Usage{InputTokens: tt.wantInput, OutputTokens: len(deltas)}
			if got.Usage != want {
				t.Fatalf("usage %+v, want %+v", got.Usage, want)
			}
		})
	}
}

func TestStreamStops(t *testing.T) {
	req := chat.CompletionRequest{Turns: []chat.Turn{{Role: chat.RoleUser, Content: "hello there"}}}
	errStop := errors.New("stop")
	tests := []struct {
		name    string
		opts    demo.Options
		failOn  int // emit call that fails with errStop; 0: none
		cancel  int // emit call after which ctx is cancelled; 0: none
		wantErr func(error) bool
		wantLen int // deltas accepted
	}{
		{"emit error", demo.Options{}, 3, 0, func(err error) bool { return err == errStop }, 2},
		{"cancel without delay", demo.Options{}, 0, 2, func(err error) bool { return errors.Is(err, context.Canceled) }, 2},
		// With a long delay the provider is blocked in its pause when
		// cancelled; only honouring ctx lets this test finish.
		{"cancel during delay", demo.Options{TokenDelay: 1 << 62}, 0, 1, func(err error) bool { return errors.Is(err, context.Canceled) }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			p := demo.NewWithOptions(tt.opts)
			var deltas []string
			calls := 0
			got, err := p.Stream(ctx, req, func(d string) error {
				calls++
				if calls == tt.failOn {
					return errStop
				}
				deltas = append(deltas, d)
				if calls == tt.cancel {
					cancel()
				}
				return nil
			})
			if !tt.wantErr(err) {
				t.Fatalf("error %v", err)
			}
			if len(deltas) != tt.wantLen || got.Text != strings.Join(deltas, "") {
				t.Fatalf("text %q deltas %q, want %d deltas", got.Text, deltas, tt.wantLen)
			}
		})
	}
}

func TestNew(t *testing.T) {
	p := demo.New()
	if p.Name() != "demo" {
		t.Fatalf("name %q", p.Name())
	}
	// Already cancelled: New's delay must not hold the reply back.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Stream(ctx, chat.CompletionRequest{}, func(string) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
}
