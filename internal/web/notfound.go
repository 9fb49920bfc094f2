package web

import (
	"net/http"

	"github.com/chatboxhq/chatbox/internal/wire"
)

// notFound answers like the API's unknown routes, so a missing page and a
// missing endpoint look the same to clients and probes.
func notFound(w http.ResponseWriter, _ *http.Request) {
	wire.WriteError(w, http.StatusNotFound, "not_found", "no such route")
}
