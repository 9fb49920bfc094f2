package bus

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/chatboxhq/chatbox/internal/chat"
)

func TestEmbeddedWithoutListenerHasNoURL(t *testing.T) {
	srv := startServer(t, EmbeddedOptions{})
	if url := srv.ClientURL(); url != "" {
		t.Fatalf("ClientURL = %q, want empty without a listener", url)
	}
	nc := connectTo(t, srv, "in-process")
	if !nc.IsConnected() {
		t.Fatal("in-process connection is not connected")
	}
	srv.Shutdown()
	srv.Shutdown() // harmless twice
}

func TestEmbeddedListensOnLoopback(t *testing.T) {
	srv := startServer(t, EmbeddedOptions{Listen: "127.0.0.1:0"})
	url := srv.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":0") || strings.HasSuffix(url, ":4222") {
		t.Fatalf("ClientURL = %q, want nats://127.0.0.1:<chosen port>", url)
	}
}

func TestEmbeddedRejectsBadListenAddress(t *testing.T) {
	for _, listen := range []string{"nope", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", "127.0.0.1:-1"} {
		if srv, err := StartEmbedded(EmbeddedOptions{Listen: listen}); err == nil {
			srv.Shutdown()
			t.Errorf("StartEmbedded accepted listen address %q", listen)
		}
	}
}

func TestEmbeddedReportsListenFailure(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = busy.Close() })

	srv, err := StartEmbedded(EmbeddedOptions{Listen: busy.Addr().String()})
	if err == nil {
		srv.Shutdown()
		t.Fatal("StartEmbedded succeeded on a port in use")
	}
	if !strings.Contains(err.Error(), "listen") {
		t.Fatalf("error %q does not give the server's reason", err)
	}
}

func TestEmbeddedRoutesServerLogs(t *testing.T) {
	logs := newLogBuffer()
	startServer(t, EmbeddedOptions{Logger: logs.logger()})
	logs.waitFor(t, "component=nats-server")
}

// TestSlowConsumerIsLogged fills a subscription's pending limit behind a
// stuck handler and checks that the loss is reported.
func TestSlowConsumerIsLogged(t *testing.T) {
	logs := newLogBuffer()
	srv := startServer(t, EmbeddedOptions{Logger: logs.logger()})
	b := newBus(t, connectTo(t, srv, "slow"), Options{PendingMsgs: 2, OwnsConn: true})

	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock() // before the Bus's cleanup, which waits for the handler

	if _, err := b.Subscribe("s1", func(chat.Event) { <-release }); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	for i := range 20 {
		if err := b.Publish(context.Background(), delta("s1", "a", i)); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	logs.waitFor(t, "slow consumer")
	logs.waitFor(t, "subject=chatbox.session.s1")
	unblock()
}
