package config

import (
	"strings"
)

// MarkdownTable renders Keys() as the README's configuration table, so the
// documentation is generated from the same table the loader uses and a test
// keeps the two identical.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| environment | config.toml | default | description |\n|---|---|---|---|\n")
	for _, k := range Keys() {
		toml := "(environment only)"
		if k.TOMLPath != "" {
			toml = "`" + k.TOMLPath + "`"
		}
		def := ""
		if k.Default != "" {
			def = "`" + k.Default + "`"
		}
		doc := k.Doc
		if k.Secret {
			doc = "**Secret.** " + doc
		}
		doc = strings.ReplaceAll(doc, "|", `\|`)
		b.WriteString("| `" + k.Env + "` | " + toml + " | " + def + " | " + doc + " |\n")
	}
	return b.String()
}
