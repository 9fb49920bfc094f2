package llm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/llm"
)

func TestRetryable(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantRetry bool
		wantAfter time.Duration
	}{
		{"nil", nil, false, 0},
		{"caller cancelled", fmt.Errorf("stream: %w", context.Canceled), false, 0},
		{"deadline", fmt.Errorf("stream: %w", context.DeadlineExceeded), true, 0},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true, 0},
		{"dropped mid-stream", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true, 0},
		{"429 with Retry-After", &llm.Error{StatusCode: 429, Retry: true, RetryAfter: 7 * time.Second}, true, 7 * time.Second},
		{"400 blames the request", &llm.Error{StatusCode: 400}, false, 0},
		{"wrapped hint", fmt.Errorf("outer: %w", &llm.Error{StatusCode: 503, Retry: true, RetryAfter: time.Second}), true, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			retry, after := llm.Retryable(tt.err)
			if retry != tt.wantRetry || after != tt.wantAfter {
				t.Fatalf("Retryable = (%v, %v), want (%v, %v)", retry, after, tt.wantRetry, tt.wantAfter)
			}
		})
	}
}

func TestStatusRetryable(t *testing.T) {
	retryable := []int{401, 403, 404, 408, 409, 425, 429, 500, 502, 503, 504, 529}
	final := []int{400, 402, 405, 413, 415, 422}
	for _, s := range retryable {
		if !llm.StatusRetryable(s) {
			t.Errorf("status %d: not retryable, want retryable", s)
		}
	}
	for _, s := range final {
		if llm.StatusRetryable(s) {
			t.Errorf("status %d: retryable, want final", s)
		}
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  llm.Error
		want string
	}{
		{llm.Error{Backend: "anthropic", StatusCode: 429, Type: "rate_limit_error", Message: "slow down", RetryAfter: 2 * time.Second},
			"anthropic: status 429 Too Many Requests (rate_limit_error): slow down [retry after 2s]"},
		{llm.Error{Backend: "anthropic", InStream: true, Type: "overloaded_error", Message: "Overloaded"},
			"anthropic: error event in stream (overloaded_error): Overloaded"},
		{llm.Error{Backend: "dify", InStream: true, StatusCode: 400, Type: "invalid_param", Message: "bad"},
			"dify: error event in stream (status 400) (invalid_param): bad"},
		{llm.Error{Backend: "dify", StatusCode: 599}, "dify: status 599"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
