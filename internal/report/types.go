package report

import (
	"embed"
	"fmt"
	"io/fs"

	v1 "github.com/evident-dev/evident/api/v1"
)

//go:embed types/*.yaml
var typeFiles embed.FS

// defaultTypeFiles are the default report types, in the order DefaultTypes
// returns them.
func defaultTypeFiles() []string {
	return []string{"inventory.yaml", "network-access.yaml", "policy-audit.yaml", "cis-benchmark.yaml"}
}

// DefaultTypes returns new copies of the four default GlobalReportTypes:
// inventory, network-access, policy-audit and cis-benchmark. It panics if
// the manifests built into the binary do not decode, which the package's
// tests rule out.
func DefaultTypes() []*v1.GlobalReportType {
	var out []*v1.GlobalReportType
	for _, name := range defaultTypeFiles() {
		data, err := fs.ReadFile(typeFiles, "types/"+name)
		if err != nil {
			panic(fmt.Sprintf("report: read built-in report type: %v", err))
		}
		objs, err := v1.Decode(name, data)
		if err != nil {
			panic(fmt.Sprintf("report: decode built-in report type: %v", err))
		}
		for _, o := range objs {
			t, ok := o.(*v1.GlobalReportType)
			if !ok {
				panic(fmt.Sprintf("report: %s holds a %T", name, o))
			}
			out = append(out, t)
		}
	}
	return out
}

// DefaultTypeManifest returns the YAML manifest of the default report type
// name, as built into the binary, and whether there is one.
func DefaultTypeManifest(name string) ([]byte, bool) {
	data, err := fs.ReadFile(typeFiles, "types/"+name+".yaml")
	return data, err == nil
}
