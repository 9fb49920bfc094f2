package failover

import "github.com/chatboxhq/chatbox/internal/chat"

// withoutImages returns turns without image inputs, for a provider that
// does not accept them (the turns' text still names the images). The
// caller's slice is not changed: other attempts may need the images.
func withoutImages(turns []chat.Turn) []chat.Turn {
	out := make([]chat.Turn, len(turns))
	for i, t := range turns {
		t.Images = nil
		out[i] = t
	}
	return out
}
