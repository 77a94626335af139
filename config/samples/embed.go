// Package samples embeds the sample resources of config/samples so that
// `evident demo` carries them: the seed's five example GlobalReports and a
// custom GlobalReportType.
package samples

import "embed"

// FS holds the sample manifests (*.yaml).
//
//go:embed *.yaml
var FS embed.FS
