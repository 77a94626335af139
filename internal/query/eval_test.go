package query

import (
	"net/netip"
	"testing"

	"github.com/evident-dev/evident/internal/store"
)

// testEvent returns the field values of a pod creation in namespace
// prod.team by a service account.
func testEvent() func(store.Field) []string {
	ev := map[store.Field][]string{
		store.FieldAPIVersion:               {"audit.k8s.io/v1"},
		store.FieldAuditID:                  {"0b7c1f1e-6f2d-4f55-a5ab-4b5c7d8e9f00"},
		store.FieldKind:                     {"Event"},
		store.FieldLevel:                    {"RequestResponse"},
		store.FieldObjectAPIGroup:           {""},
		store.FieldObjectAPIVersion:         {"v1"},
		store.FieldObjectName:               {"Web-0"},
		store.FieldObjectNamespace:          {"Prod.Team"},
		store.FieldObjectResource:           {"pods"},
		store.FieldRequestReceivedTimestamp: {"2026-11-23T04:00:00.250000Z"},
		store.FieldRequestURI:               {"/api/v1/namespaces/prod.team/pods/?dryRun=All"},
		store.FieldResponseCode:             {"403"},
		store.FieldSourceIPs:                {"10.1.2.3", "2001:db8::7"},
		store.FieldStage:                    {"ResponseComplete"},
		store.FieldStageTimestamp:           {"2026-11-23T04:00:01.5Z"},
		store.FieldUserGroups:               {"system:serviceaccounts", "system:authenticated"},
		store.FieldUsername:                 {"system:serviceaccount:kube-system:foo"},
		store.FieldVerb:                     {"create"},
	}
	return func(f store.Field) []string { return ev[f] }
}

func TestEval(t *testing.T) {
	get := testEvent()
	tests := []struct {
		query string
		want  bool
	}{
		{``, true},
		// Text equality is exact; wildcards are literal.
		{`verb = create`, true},
		{`verb != create`, false},
		{`verb = get`, false},
		{`verb != get`, true},
		{`kind = event`, false},
		{`user.username = "system:serviceaccount:*"`, false},
		{`NOT user.username = "system:serviceaccount:*"`, true},
		{`objectRef.apiGroup = ""`, true},
		// Sets with wildcards.
		{`user.username IN {"system:serviceaccount:*"}`, true},
		{`user.username NOTIN {"system:serviceaccount:*"}`, false},
		{`user.username IN {"system:serviceaccount:kube-?ystem:foo"}`, true},
		{`user.username IN {"system:serviceaccount:kube-?system:foo"}`, false},
		{`objectRef.resource IN {networkpolicies, "p*"}`, true},
		{`objectRef.resource IN {networkpolicies, "globalnetwork*"}`, false},
		{`objectRef.resource NOTIN {networkpolicies, "globalnetwork*"}`, true},
		{`verb IN {"c*e"}`, true},
		{`verb IN {"?et"}`, false},
		// List fields match when any element matches.
		{`user.groups = system:authenticated`, true},
		{`user.groups != system:authenticated`, false},
		{`user.groups = system:masters`, false},
		{`user.groups != system:masters`, true},
		{`user.groups IN {"*:auth*"}`, true},
		{`user.groups NOTIN {"*:auth*"}`, false},
		// Domain normalisation applies to the event value too.
		{`objectRef.namespace = prod.team`, true},
		{`objectRef.namespace = Prod..Team.`, true},
		{`objectRef.name = WEB-0`, true},
		{`objectRef.name IN {"web-*"}`, true},
		{`objectRef.namespace IN {"Prod.*"}`, true},
		// URL normalisation applies to the event value too.
		{`requestURI = "/api/v1/namespaces/prod.team/pods?dryRun=All"`, true},
		{`requestURI IN {"*dryRun*"}`, true},
		{`requestURI NOTIN {"*dryRun*"}`, false},
		{`objectRef.apiVersion = "v1/"`, true},
		{`apiVersion = audit.k8s.io/v1`, true},
		// Status codes.
		{`responseStatus.code = 403`, true},
		{`responseStatus.code != 403`, false},
		{`responseStatus.code >= 400 && responseStatus.code < 500`, true},
		{`responseStatus.code > 403`, false},
		{`responseStatus.code >= 403`, true},
		{`responseStatus.code < 403`, false},
		{`responseStatus.code <= 403`, true},
		{`responseStatus.code IN {"4??"}`, true},
		{`responseStatus.code IN {"5*", 200}`, false},
		// Dates.
		{`requestReceivedTimestamp > "2026-11-23T04:00:00Z"`, true},
		{`requestReceivedTimestamp > 2026-11-23T04:00:00.25Z`, false},
		{`requestReceivedTimestamp >= 2026-11-23T04:00:00.25Z`, true},
		{`requestReceivedTimestamp = "2026-11-23T05:00:00.25+01:00"`, true},
		{`requestReceivedTimestamp != "2026-11-23T05:00:00.25+01:00"`, false},
		{`requestReceivedTimestamp < 2026-11-24`, true},
		{`requestReceivedTimestamp <= "2026-11-23 04:00:00"`, false},
		{`stageTimestamp > "2026-11-23 04:00:01"`, true},
		// Source addresses.
		{`sourceIPs = 10.0.0.0/8`, true},
		{`sourceIPs = 10.1.2.3`, true},
		{`sourceIPs = 10.1.2.4`, false},
		{`sourceIPs != 10.0.0.0/8`, false},
		{`sourceIPs = 192.168.0.0/16`, false},
		{`sourceIPs != 192.168.0.0/16`, true},
		{`sourceIPs = "2001:db8::/64"`, true},
		{`sourceIPs = "::ffff:10.1.2.3"`, true},
		// Absent fields: = false, != true, IN false, NOTIN true, ordered false.
		{`name = x`, false},
		{`name != x`, true},
		{`name IN {"*"}`, false},
		{`name NOTIN {"*"}`, true},
		{`timestamp < 2100-01-01`, false},
		{`timestamp >= 1900-01-01`, false},
		{`timestamp != 1900-01-01`, true},
		// Boolean structure.
		{`(verb = patch or verb = update) and objectRef.namespace = Prod..Team.`, false},
		{`(verb = patch or verb = create) and objectRef.namespace = Prod..Team.`, true},
		{`verb = get OR verb = create AND stage = Panic`, false},
		{`(verb = get OR verb = create) AND NOT stage = Panic`, true},
		{`NOT NOT verb = create`, true},
		{`verb = create AND NOT (kind = Event OR level = None)`, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			c, err := Parse(tt.query)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := Eval(c, get); got != tt.want {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvalConditions(t *testing.T) {
	get := testEvent()
	verbIs := func(v string) store.Cond { return store.Cmp{Field: store.FieldVerb, Op: store.OpEq, Value: v} }
	tests := []struct {
		name string
		cond store.Cond
		want bool
	}{
		{"nil", nil, true},
		{"empty And", store.And{}, true},
		{"empty Or", store.Or{}, false},
		{"Not of nil", store.Not{}, false},
		{"empty In", store.In{Field: store.FieldVerb}, false},
		{"empty NotIn", store.In{Field: store.FieldVerb, Negate: true}, true},
		{"And", store.And{verbIs("create"), verbIs("create")}, true},
		{"And false", store.And{verbIs("create"), verbIs("get")}, false},
		{"Or", store.Or{verbIs("get"), verbIs("create")}, true},
		{"text <", store.Cmp{Field: store.FieldKind, Op: store.OpLt, Value: "F"}, true},
		{"text >", store.Cmp{Field: store.FieldKind, Op: store.OpGt, Value: "F"}, false},
		{"unknown value type", store.Cmp{Field: store.FieldKind, Op: store.OpEq, Value: 1.5}, false},
		{"prefix with <", store.Cmp{Field: store.FieldSourceIPs, Op: store.OpLt, Value: netip.MustParsePrefix("10.0.0.0/8")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Eval(tt.cond, get); got != tt.want {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEvalUnparseable checks that event values of the wrong shape never
// satisfy typed comparisons.
func TestEvalUnparseable(t *testing.T) {
	bad := map[store.Field][]string{
		store.FieldResponseCode: {"forbidden"},
		store.FieldTimestamp:    {"yesterday"},
		store.FieldSourceIPs:    {"10.0.0.1:443", "example.com"},
	}
	get := func(f store.Field) []string { return bad[f] }
	for _, q := range []string{
		`responseStatus.code = 403`, `responseStatus.code > 100`, `responseStatus.code < 599`,
		`timestamp = 2026-01-01`, `timestamp > 1900-01-01`, `timestamp < 2100-01-01`,
		`sourceIPs = 0.0.0.0/0`, `sourceIPs = "::/0"`,
	} {
		c, err := Parse(q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		if Eval(c, get) {
			t.Errorf("Eval(%q) = true on unparseable values", q)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"a", "", false},
		{"*", "", true},
		{"*", "anything", true},
		{"**", "", true},
		{"?", "", false},
		{"?", "a", true},
		{"?", "é", true},
		{"??", "é", false},
		{"?", "ab", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"a*", "ba", false},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a*b*c", "axbxxc", true},
		{"a*b*c", "axcxxb", false},
		{"*x*", "abxcd", true},
		{"*x*", "abcd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true},
		{"*?", "é", true},
		{"*??", "é", false},
		{"*é*", "caféx", true},
		{"café", "cafe", false},
		{"system:serviceaccount:*", "system:serviceaccount:kube-system:foo", true},
		{"system:serviceaccount:*", "system:serviceaccounts", false},
		{"*aaa*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", false},
		{"[a]", "[a]", true},
		{"a\\*", "a\\bc", true},
	}
	for _, tt := range tests {
		if got := match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		f    store.Field
		in   string
		want string
	}{
		{store.FieldName, "Example.COM", "example.com"},
		{store.FieldName, "a..b...c", "a.b.c"},
		{store.FieldObjectName, "..a.", "a"},
		{store.FieldObjectNamespace, "...", ""},
		{store.FieldObjectNamespace, "", ""},
		{store.FieldObjectNamespace, " A ", " a "},
		{store.FieldAPIVersion, " v1 ", "v1"},
		{store.FieldObjectAPIVersion, "apps//v1/", "apps/v1"},
		{store.FieldRequestURI, "/api/v1/../v2/./pods/", "/api/v2/pods"},
		{store.FieldRequestURI, "//", "/"},
		{store.FieldRequestURI, "/pods?x=/a//b/", "/pods?x=/a//b/"},
		{store.FieldRequestURI, "?x", "?x"},
		{store.FieldRequestURI, "  ", ""},
		{store.FieldKind, " A..B. ", " A..B. "},
		{store.FieldUsername, "Bob", "Bob"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.f, tt.in); got != tt.want {
			t.Errorf("Normalize(%s, %q) = %q, want %q", tt.f, tt.in, got, tt.want)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	c, err := Parse(`verb IN {create, update, patch, delete} AND objectRef.resource IN {"network*", "globalnetwork*", pods}` +
		` AND NOT user.username IN {"system:serviceaccount:kube-system:*"} AND responseStatus.code < 500`)
	if err != nil {
		b.Fatal(err)
	}
	get := testEvent()
	for b.Loop() {
		Eval(c, get)
	}
}
