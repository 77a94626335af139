package web

import "embed"

//go:embed templates/*.html static
var files embed.FS

// FS returns the embedded assets: templates/*.html and static/*.
func FS() embed.FS { return files }
