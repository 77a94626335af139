package selector

import (
	"testing"
)

func TestMatches(t *testing.T) {
	labels := Map{
		"app":                         "web-frontend",
		"env":                         "prod",
		"empty":                       "",
		"quoted":                      `say "hi"`,
		"pcns.projectcalico.org/name": "acct",
	}
	tests := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"all()", true},
		{"global()", true},
		{"!all()", false},

		{`env == "prod"`, true},
		{`env == "dev"`, false},
		{`absent == "prod"`, false},
		{`empty == ""`, true},
		{`absent == ""`, false},

		{`env != "prod"`, false},
		{`env != "dev"`, true},
		{`absent != "prod"`, true},
		{`empty != ""`, false},

		{`env in {"dev", "prod"}`, true},
		{`env in {"dev"}`, false},
		{`env in {}`, false},
		{`absent in {"prod"}`, false},
		{`absent in {""}`, false},
		{`empty in {""}`, true},
		{`env in {"a","b","c","d","e","f","g","h","i","prod"}`, true},
		{`env in {"a","b","c","d","e","f","g","h","i","j"}`, false},

		{`env not in {"dev", "prod"}`, false},
		{`env not in {"dev"}`, true},
		{`env not in {}`, true},
		{`absent not in {"prod"}`, true},
		{`absent not in {}`, true},
		{`env not in {"a","b","c","d","e","f","g","h","i","prod"}`, false},

		{`app contains "front"`, true},
		{`app contains "back"`, false},
		{`app contains ""`, true},
		{`absent contains ""`, false},
		{`quoted contains '"hi"'`, true},

		{`app starts with "web"`, true},
		{`app starts with "front"`, false},
		{`absent starts with ""`, false},
		{`app ends with "end"`, true},
		{`app ends with "web"`, false},
		{`absent ends with ""`, false},

		{`has(env)`, true},
		{`has(empty)`, true},
		{`has(absent)`, false},
		{`!has(env)`, false},
		{`!has(absent)`, true},
		{`!!has(env)`, true},
		{`!env == "prod"`, false},
		{`!absent == "prod"`, true},

		// ! binds tighter than &&, && tighter than ||.
		{`!has(env) && has(app)`, false},
		{`!(has(env) && has(absent))`, true},
		{`has(absent) && has(env) || has(app)`, true},
		{`has(absent) && (has(env) || has(app))`, false},
		{`has(app) || has(absent) && has(absent)`, true},
		{`(has(app) || has(absent)) && has(absent)`, false},
		{`!has(absent) || has(absent) && has(absent)`, true},

		{`pcns.projectcalico.org/name == "acct"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			sel := MustParse(tt.sel)
			if got := sel.Matches(labels); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
			// The canonical form must mean the same thing.
			if got := MustParse(sel.String()).Matches(labels); got != tt.want {
				t.Errorf("canonical %s: Matches = %v, want %v", sel, got, tt.want)
			}
		})
	}
}

func TestMatchesEdgeCases(t *testing.T) {
	var zero Selector
	if !zero.Matches(Map{}) || zero.String() != "all()" {
		t.Errorf("zero Selector: Matches=%v String=%q, want all()", zero.Matches(Map{}), zero.String())
	}
	var none *Selector
	if none.Matches(Map{"a": "b"}) {
		t.Error("nil *Selector matched")
	}
	if got := none.String(); got != "" {
		t.Errorf("nil String() = %q", got)
	}
	if !MustParse(`a != "x"`).Matches(nil) {
		t.Error(`a != "x" did not match nil labels`)
	}
	if MustParse(`has(a)`).Matches(nil) {
		t.Error(`has(a) matched nil labels`)
	}
}

func TestMerged(t *testing.T) {
	pod := Map{"app": "web", LabelNamespace: "spoofed"}
	pseudo := Map{LabelNamespace: "shop", LabelOrchestrator: "k8s"}
	l := Merged{pseudo, nil, pod}
	tests := []struct {
		sel  string
		want bool
	}{
		{`projectcalico.org/namespace == "shop"`, true},
		{`projectcalico.org/namespace == "spoofed"`, false},
		{`app == "web" && projectcalico.org/orchestrator == "k8s"`, true},
		{`has(missing)`, false},
	}
	for _, tt := range tests {
		if got := MustParse(tt.sel).Matches(l); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.sel, got, tt.want)
		}
	}
}

func TestMatchesDoesNotAllocate(t *testing.T) {
	sel := MustParse(benchSelector)
	labels := benchLabels()
	var l Labels = labels
	allocs := testing.AllocsPerRun(100, func() {
		if !sel.Matches(l) {
			t.Fatal("benchmark selector does not match")
		}
	})
	if allocs != 0 {
		t.Errorf("Matches allocates %v times per call", allocs)
	}
}

func TestMatchesConcurrently(t *testing.T) {
	sel := MustParse(benchSelector)
	labels := benchLabels()
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for range 1000 {
				ok = ok && sel.Matches(labels) && sel.String() != ""
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent Matches disagreed")
		}
	}
}
