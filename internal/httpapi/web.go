package httpapi

import "net/http"

// mountWeb routes the browser pages (internal/web) next to the API. The
// pages' handler owns these paths and answers a JSON 404 for what it does
// not serve, so unknown API paths and unknown pages look alike.
func mountWeb(mux *http.ServeMux, p string, web http.Handler) {
	if web == nil {
		return
	}
	mux.Handle("GET "+p+"/{$}", web)
	mux.Handle("GET "+p+"/static/", web)
	mux.Handle(p+"/console", web)
	mux.Handle(p+"/console/", web)
	mux.Handle(p+"/dev/", web)
}
