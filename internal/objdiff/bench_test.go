package objdiff

import (
	"fmt"
	"testing"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// policyVersions makes n versions of a NetworkPolicy the size of a real
// one (managed fields, last-applied annotation, a dozen rules), each
// changing one port.
func policyVersions(n int) []store.Version {
	vs := make([]store.Version, n)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range vs {
		rules := ""
		for r := range 12 {
			if r > 0 {
				rules += ","
			}
			rules += fmt.Sprintf(`{"from":[{"podSelector":{"matchLabels":{"app":"client-%d"}}},{"namespaceSelector":{"matchLabels":{"team":"t%d"}}}],"ports":[{"protocol":"TCP","port":%d}]}`, r, r, 8000+r+i*boolInt(r == i%12))
		}
		obj := fmt.Sprintf(`{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"api-access","namespace":"team-1","uid":"0b5c3c2e-1","resourceVersion":"%d","generation":%d,"labels":{"app":"api","team":"t1","tier":"backend"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"api-access\"}}"},"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"networking.k8s.io/v1","time":"2026-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:ingress":{},"f:podSelector":{}}}}]},"spec":{"podSelector":{"matchLabels":{"app":"api"}},"policyTypes":["Ingress"],"ingress":[%s]}}`, 1000+i, i+1, rules)
		vs[i] = store.Version{Time: t0.Add(time.Duration(i) * time.Minute), Verb: "patch", User: "alice", Code: 200, Object: []byte(obj)}
	}
	return vs
}

// BenchmarkChangelog200 is DESIGN.md's changelog budget without the store:
// normalising and diffing 200 versions of one policy.
func BenchmarkChangelog200(b *testing.B) {
	vs := policyVersions(200)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Changelog(vs, false); err != nil {
			b.Fatal(err)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
