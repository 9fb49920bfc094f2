package server

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/notify"
)

// TestHelpRequestNotifiesAdmins: a user's help_request frame reaches the
// notifier through the chat hook (logged, since this instance configures
// no email or SMS), schedules the reminder, and the admin's takeover
// withdraws that reminder.
func TestHelpRequestNotifiesAdmins(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{
		"ADMIN_PANEL_URL":            "https://admin.example.com/console",
		"NOTIFY_HELP_REMINDER_AFTER": "10m",
	}))
	n := srv.app.Notifier()
	if n == nil {
		t.Fatal("App.Notifier() is nil")
	}
	admin := srv.dialAdmin("yara")
	user := srv.dial("zoe")
	sid := user.ask("", "z1", "hello").str("session_id")
	user.reply()
	user.send(map[string]any{"type": "help_request", "session_id": sid, "client_msg_id": "z2", "content": "I want a human"})

	rowsOf := func(ev notify.EventType) []notify.Notification {
		t.Helper()
		all, err := n.Recent(t.Context(), 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []notify.Notification
		for _, r := range all {
			if r.Event == ev && r.SessionID == sid {
				out = append(out, r)
			}
		}
		return out
	}
	deadline := time.Now().Add(waitLimit)
	for {
		if rows := rowsOf(notify.HelpRequested); len(rows) == 1 && rows[0].Status == notify.Sent && rows[0].Channel == notify.Log {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("help alert rows: %+v", rowsOf(notify.HelpRequested))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if reminders := rowsOf(notify.HelpReminder); len(reminders) != 1 || reminders[0].Status != notify.Pending {
		t.Fatalf("reminder rows %+v, want one pending", reminders)
	}
	for metricValue(t, srv, `chatbox_notifications_total{channel="log",result="sent"}`) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the sent alert is not counted in chatbox_notifications_total")
		}
		time.Sleep(10 * time.Millisecond)
	}

	admin.send(map[string]any{"type": "takeover", "session_id": sid})
	admin.until("session_status", func(f frame) bool { return f.str("owner") == "human" })
	// The hook runs after the takeover is announced: wait for it.
	for {
		reminders := rowsOf(notify.HelpReminder)
		if len(reminders) == 1 && reminders[0].Status == notify.Canceled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the takeover the reminder is %+v, want canceled", reminders)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHelpRequestBurstPagesAdminsOnce: one user opening session after
// session on two instances that share a store, and asking for a human in
// each, pages the admins once (one alert, one reminder): the per-user limit
// lives in storage, not in an instance. Every request still waits in the
// admin console, and another user's request still pages.
func TestHelpRequestBurstPagesAdminsOnce(t *testing.T) {
	llm := fakeLLM(t)
	nodes, _ := lifecycleCluster(t, "sqlite", 2, llm.URL, map[string]string{"NOTIFY_HELP_REMINDER_AFTER": "10m"})
	const requests = 6
	sessionsOf := map[string]string{}
	ask := func(node *instance, user string, i int) {
		t.Helper()
		c := node.dial(user)
		sid := c.ask("", fmt.Sprintf("%s-%d", user, i), "hello").str("session_id")
		c.reply()
		c.send(map[string]any{"type": "help_request", "session_id": sid, "client_msg_id": fmt.Sprintf("%s-help-%d", user, i)})
		c.until("session_status", func(f frame) bool { return f["help_requested"] == true })
		sessionsOf[sid] = user
	}
	for i := range requests {
		ask(nodes[i%2], "ivan", i)
	}
	ask(nodes[1], "jane", 0)

	limited := func() int {
		return metricValue(t, nodes[0], `chatbox_notifications_total{channel="log",result="rate_limited"}`) +
			metricValue(t, nodes[1], `chatbox_notifications_total{channel="log",result="rate_limited"}`)
	}
	deadline := time.Now().Add(waitLimit)
	// Each limited request counts its alert row and its reminder row.
	for limited() != 2*(requests-1) {
		if time.Now().After(deadline) {
			t.Fatalf("rate-limited rows counted: %d, want %d", limited(), 2*(requests-1))
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := map[string]int{
		"ivan " + string(notify.HelpRequested): 1, "ivan " + string(notify.HelpReminder): 1,
		"jane " + string(notify.HelpRequested): 1, "jane " + string(notify.HelpReminder): 1,
	}
	// The alert hook runs after the status frame: wait for jane's rows.
	for {
		rows, err := nodes[0].app.Notifier().Recent(t.Context(), 100)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, r := range rows {
			count[sessionsOf[r.SessionID]+" "+string(r.Event)]++
		}
		if maps.Equal(count, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox rows by user and event: %v, want %v", count, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var list struct{ Sessions []map[string]any }
	getJSON(t, nodes[0].baseURL+"/admin/sessions?help_requested=true", adminToken(t, "yara"), &list)
	if len(list.Sessions) != requests+1 {
		t.Errorf("%d sessions wait for help in the admin console, want %d", len(list.Sessions), requests+1)
	}
}
