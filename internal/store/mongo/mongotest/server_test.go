package mongotest

import "testing"

func TestWithDatabase(t *testing.T) {
	tests := []struct{ uri, db, want string }{
		{"mongodb://h:27017", "x", "mongodb://h:27017/x"},
		{"mongodb://h:27017/", "x", "mongodb://h:27017/x"},
		{"mongodb://h1,h2/orig?replicaSet=rs0", "x", "mongodb://h1,h2/x?replicaSet=rs0"},
		{"mongodb://u:p@h/orig", "x", "mongodb://u:p@h/x?authSource=orig"},
		{"mongodb://u:p@h", "x", "mongodb://u:p@h/x?authSource=admin"},
		{"mongodb://u:p@h/orig?authSource=admin&tls=true", "x", "mongodb://u:p@h/x?authSource=admin&tls=true"},
		{"mongodb+srv://u:p@c.example.net/?retryWrites=true", "x", "mongodb+srv://u:p@c.example.net/x?retryWrites=true&authSource=admin"},
	}
	for _, tt := range tests {
		if got := withDatabase(tt.uri, tt.db); got != tt.want {
			t.Errorf("withDatabase(%q, %q) = %q, want %q", tt.uri, tt.db, got, tt.want)
		}
	}
}
