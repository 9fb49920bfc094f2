// Package loadtest is Chatbox's load harness, used by cmd/chatload: a fake
// streaming model whose tokens carry their emission time, a bare-frame
// WebSocket server that is the floor Chatbox is compared with, WebSocket
// clients that drive the scenarios (idle, chat, storm, watch), probes of a
// server process's memory and CPU, and the report.
//
// The harness only talks to loopback addresses, caps how many connections it
// opens, and stops by itself when its deadline passes.
package loadtest
