package ws

// closeUserErased is the close code of a connection whose user's data was
// erased: the client should not reconnect on its own.
const closeUserErased = 4002

// CloseUser closes every connection of userID on this instance with 4002,
// after the frames already queued to it, and returns how many it closed.
// The erasure of a user's data calls it on every instance (through the
// bus), so no socket keeps showing, or adding to, data that is gone.
func (s *Server) CloseUser(userID string) int {
	s.mu.Lock()
	var mine []*conn
	for c := range s.conns {
		if c.actor.ID == userID {
			mine = append(mine, c)
		}
	}
	s.mu.Unlock()
	for _, c := range mine {
		c.enqueue(op{kind: opClose, code: closeUserErased, reason: "user data erased"})
	}
	return len(mine)
}
