package selector

import "testing"

// benchSelector is a typical in-scope selector: an endpoint selector ANDed
// with a prefixed namespace selector.
const benchSelector = `(app == "checkout" && tier in {"api", "web"} && !has(canary)) && ` +
	`(pcns.dept == "acct") && has(projectcalico.org/namespace) && ` +
	`projectcalico.org/namespace not in {"kube-system", "tigera-system"}`

func benchLabels() Map {
	return Map{
		"app":                            "checkout",
		"tier":                           "web",
		"version":                        "v1.4.2",
		"pod-template-hash":              "7d9f8c6b5",
		"app.kubernetes.io/name":         "checkout",
		"app.kubernetes.io/part-of":      "shop",
		"projectcalico.org/namespace":    "shop",
		"projectcalico.org/orchestrator": "k8s",
		"pcns.dept":                      "acct",
		"pcns.projectcalico.org/name":    "shop",
	}
}

func BenchmarkMatches(b *testing.B) {
	sel := MustParse(benchSelector)
	var l Labels = benchLabels()
	b.ReportAllocs()
	for b.Loop() {
		if !sel.Matches(l) {
			b.Fatal("no match")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchSelector); err != nil {
			b.Fatal(err)
		}
	}
}
