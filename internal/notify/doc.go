// Package notify tells admins what needs a human: a user asking for one, a
// help request left unanswered, every LLM provider failing, storage
// unreachable. It sends email (SMTP) and text messages (Twilio), or logs
// the alert when neither is configured, and never drops one silently.
//
// Delivery is reliable and sent once across instances. Notify only writes
// the alert to an Outbox in the shared storage, one row per channel and
// recipient, under a dedupe key that storage keeps unique; a Worker in any
// instance then claims due rows with a lease, sends them, and records the
// outcome, retrying failures with exponential backoff. A crash or an SMTP
// outage therefore delays alerts but loses none. Rate limits are stored the
// same way, so they hold across instances too.
//
// The one gap of at-least-once delivery remains: an instance that dies
// after the mail server accepted a message but before the outbox recorded
// it sends that message again once its lease expires. Email repeats carry
// the same Message-ID, so mail clients show them as one.
package notify
