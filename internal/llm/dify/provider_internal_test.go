package dify

import "testing"

func TestSafeID(t *testing.T) {
	for id, want := range map[string]bool{
		"c3800678-a077-43df-a102-53f23ed20b88": true,
		"task_1":                               true,
		"":                                     false,
		"../../files/upload":                   false,
		"a/b":                                  false,
		"a?b":                                  false,
	} {
		if safeID(id) != want {
			t.Errorf("safeID(%q) = %v, want %v", id, !want, want)
		}
	}
}
