// Package bus implements chat.Bus over NATS core pub/sub.
//
// Every instance publishes a session's events on the subject
// "<prefix>.session.<sessionID>" and subscribes to the sessions its clients
// watch, so events reach clients connected to any instance. Delivery is at
// most once, as the chat.Bus contract allows: nothing is persisted
// (JetStream is not used) and a subscriber that falls behind loses events,
// which the chat layer recovers from storage.
//
// A deployment with NATS_URL set connects with Connect. Without it,
// StartEmbedded runs a NATS server inside the process and EmbeddedServer's
// Connect joins it without a socket, so a single node uses the same Bus
// code as a cluster.
package bus
