package mongo

import (
	"strings"
	"testing"
)

func TestDatabaseName(t *testing.T) {
	tests := []struct{ uri, want string }{
		{"mongodb://mongo:27017/chat", "chat"},
		{"mongodb://mongo:27017", "chat"},
		{"mongodb://mongo:27017/", "chat"},
		{"mongodb://mongo:27017/?replicaSet=rs0", "chat"},
		{"mongodb://u:p@h1:27017,h2:27017/prod_chat?authSource=admin", "prod_chat"},
		{"mongodb+srv://u:p%2Fx@cluster0.example.net/app", "app"},
		{"mongodb://h/db#fragment", "db"},
	}
	for _, tt := range tests {
		got, err := DatabaseName(tt.uri)
		if err != nil || got != tt.want {
			t.Errorf("DatabaseName(%q) = %q, %v; want %q", tt.uri, got, err, tt.want)
		}
	}
	for _, uri := range []string{
		"postgres://h/db",
		"mongodb://h/a.b",
		"mongodb://h/a$b",
		"mongodb://h/a%2Fb",
		"mongodb://h/" + strings.Repeat("x", 64),
	} {
		if got, err := DatabaseName(uri); err == nil {
			t.Errorf("DatabaseName(%q) = %q, want an error", uri, got)
		} else if strings.Contains(err.Error(), "h/") {
			t.Errorf("DatabaseName(%q): error %q quotes the URI", uri, err)
		}
	}
}

func FuzzDatabaseName(f *testing.F) {
	f.Add("mongodb://mongo:27017/chat")
	f.Add("mongodb+srv://u:p@x/y?z=1")
	f.Add("mongodb://@/")
	f.Add("mongodb:///%zz")
	f.Fuzz(func(t *testing.T, uri string) {
		name, err := DatabaseName(uri)
		if err != nil {
			return
		}
		if name == "" || len(name) > 63 || strings.ContainsAny(name, `/\. "$*<>:|?`+"\x00") {
			t.Fatalf("DatabaseName(%q) = %q, not a valid database name", uri, name)
		}
	})
}
