package difytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Request is one chat-messages request as the server decoded it.
type Request struct {
	Query            string
	Inputs           map[string]any // nil when absent (Dify requires it)
	ResponseMode     string
	ConversationID   string
	User             string
	AutoGenerateName *bool       // nil when absent
	APIKey           string      // from "Authorization: Bearer ..."
	Header           http.Header // every request header
	Body             []byte      // the raw JSON body
}

type wireRequest struct {
	Query            string         `json:"query"`
	Inputs           map[string]any `json:"inputs"`
	ResponseMode     string         `json:"response_mode"`
	ConversationID   string         `json:"conversation_id"`
	User             string         `json:"user"`
	AutoGenerateName *bool          `json:"auto_generate_name"`
}

func decodeRequest(body []byte, h http.Header) (Request, error) {
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return Request{}, fmt.Errorf("decode body: %w", err)
	}
	return Request{
		Query: w.Query, Inputs: w.Inputs, ResponseMode: w.ResponseMode, ConversationID: w.ConversationID,
		User: w.User, AutoGenerateName: w.AutoGenerateName,
		APIKey: strings.TrimPrefix(h.Get("Authorization"), "Bearer "), Header: h, Body: body,
	}, nil
}
