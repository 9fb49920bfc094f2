package chat

import (
	"errors"
	"testing"
)

// TestAuthorizeUserAccess: users reach their own data only; admins reach
// anyone's; an empty user id is a bad request, not "everyone".
func TestAuthorizeUserAccess(t *testing.T) {
	l := &Lifecycle{}
	user := Actor{ID: "alice"}
	admin := Actor{ID: "ada", Admin: true}
	cases := []struct {
		name   string
		actor  Actor
		target string
		want   error
	}{
		{"own data", user, "alice", nil},
		{"someone else's data", user, "bob", ErrForbidden},
		{"admin, any user", admin, "bob", nil},
		{"admin, own data", admin, "ada", nil},
		{"empty user id", admin, "", ErrInvalid},
		{"empty user id, empty actor", Actor{}, "", ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := l.authorizeUserAccess(tc.actor, tc.target)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("authorizeUserAccess(%+v, %q) = %v, want %v", tc.actor, tc.target, err, tc.want)
			}
		})
	}
}

// TestNewLifecycleChecksConfig: a lifecycle needs a service, durations that
// are not negative, and no nil eraser.
func TestNewLifecycleChecksConfig(t *testing.T) {
	svc := &Service{}
	if _, err := NewLifecycle(nil, LifecycleConfig{}); err == nil {
		t.Error("NewLifecycle without a service: no error")
	}
	if _, err := NewLifecycle(svc, LifecycleConfig{IdleTimeout: -1}); err == nil {
		t.Error("NewLifecycle with a negative idle timeout: no error")
	}
	if _, err := NewLifecycle(svc, LifecycleConfig{Erasers: []Eraser{nil}}); err == nil {
		t.Error("NewLifecycle with a nil eraser: no error")
	}
	l, err := NewLifecycle(svc, LifecycleConfig{})
	if err != nil {
		t.Fatalf("NewLifecycle with defaults: %v", err)
	}
	if l.batch != DefaultLifecycleBatch {
		t.Errorf("default batch %d, want %d", l.batch, DefaultLifecycleBatch)
	}
}
