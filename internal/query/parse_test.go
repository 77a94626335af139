package query

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/store"
)

// condOpts compares conditions holding netip.Prefix and time.Time values.
func condOpts() cmp.Options {
	return cmp.Options{
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Location() == b.Location() }),
	}
}

func eq(f store.Field, v any) store.Cmp { return store.Cmp{Field: f, Op: store.OpEq, Value: v} }

func cmpOp(f store.Field, op store.Op, v any) store.Cmp { return store.Cmp{Field: f, Op: op, Value: v} }

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func TestParseExamples(t *testing.T) {
	tests := []struct {
		src  string
		want store.Cond
	}{
		{
			`verb = create AND objectRef.resource IN {networkpolicies, "globalnetwork*"}`,
			store.And{
				eq(store.FieldVerb, "create"),
				store.In{Field: store.FieldObjectResource, Patterns: []string{"networkpolicies", "globalnetwork*"}},
			},
		},
		{
			`NOT user.username = "system:serviceaccount:*"`,
			store.Not{C: eq(store.FieldUsername, "system:serviceaccount:*")},
		},
		{
			`user.username IN {"system:serviceaccount:*"}`,
			store.In{Field: store.FieldUsername, Patterns: []string{"system:serviceaccount:*"}},
		},
		{
			`responseStatus.code >= 400 && responseStatus.code < 500`,
			store.And{
				cmpOp(store.FieldResponseCode, store.OpGe, int64(400)),
				cmpOp(store.FieldResponseCode, store.OpLt, int64(500)),
			},
		},
		{
			`requestReceivedTimestamp > "2026-11-23T04:00:00Z"`,
			cmpOp(store.FieldRequestReceivedTimestamp, store.OpGt, utc(2026, 11, 23, 4, 0, 0, 0)),
		},
		{
			`sourceIPs = 10.0.0.0/8`,
			eq(store.FieldSourceIPs, netip.MustParsePrefix("10.0.0.0/8")),
		},
		{
			`(verb = patch or verb = update) and objectRef.namespace = Prod..Team.`,
			store.And{
				store.Or{eq(store.FieldVerb, "patch"), eq(store.FieldVerb, "update")},
				eq(store.FieldObjectNamespace, "prod.team"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, condOpts()); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			if err := Validate(tt.src); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", " ", "\t\n  \u00a0"} {
		got, err := Parse(src)
		if err != nil || got != nil {
			t.Errorf("Parse(%q) = %#v, %v; want nil, nil", src, got, err)
		}
	}
}

func TestParseStructure(t *testing.T) {
	a := eq(store.FieldKind, "a")
	b := eq(store.FieldKind, "b")
	c := eq(store.FieldKind, "c")
	d := eq(store.FieldKind, "d")
	tests := []struct {
		src  string
		want store.Cond
	}{
		{`kind = a`, a},
		{`(kind = a)`, a},
		{`((kind = a))`, a},
		{`kind = a AND kind = b`, store.And{a, b}},
		{`kind = a and kind = b`, store.And{a, b}},
		{`kind = a && kind = b`, store.And{a, b}},
		{`kind = a&&kind = b`, store.And{a, b}},
		{`kind = a OR kind = b`, store.Or{a, b}},
		{`kind = a or kind = b`, store.Or{a, b}},
		{`kind = a || kind = b`, store.Or{a, b}},
		{`kind=a||kind=b`, store.Or{a, b}},
		{`NOT kind = a`, store.Not{C: a}},
		{`not kind = a`, store.Not{C: a}},
		{`!kind = a`, store.Not{C: a}},
		{`! ! kind = a`, store.Not{C: store.Not{C: a}}},
		{`NOT NOT kind = a`, store.Not{C: store.Not{C: a}}},
		// AND binds tighter than OR.
		{`kind = a OR kind = b AND kind = c`, store.Or{a, store.And{b, c}}},
		{`kind = a AND kind = b OR kind = c`, store.Or{store.And{a, b}, c}},
		{`kind = a AND kind = b OR kind = c AND kind = d`, store.Or{store.And{a, b}, store.And{c, d}}},
		// NOT binds tighter than AND and OR.
		{`NOT kind = a AND kind = b`, store.And{store.Not{C: a}, b}},
		{`NOT kind = a OR kind = b`, store.Or{store.Not{C: a}, b}},
		{`kind = a AND NOT kind = b`, store.And{a, store.Not{C: b}}},
		{`NOT (kind = a OR kind = b)`, store.Not{C: store.Or{a, b}}},
		// Parentheses override precedence.
		{`(kind = a OR kind = b) AND kind = c`, store.And{store.Or{a, b}, c}},
		{`kind = a AND (kind = b OR kind = c)`, store.And{a, store.Or{b, c}}},
		// Nested operators of the same kind are flattened.
		{`kind = a AND (kind = b AND kind = c) AND kind = d`, store.And{a, b, c, d}},
		{`(kind = a OR kind = b) OR (kind = c OR kind = d)`, store.Or{a, b, c, d}},
		{`((kind = a AND kind = b)) AND kind = c`, store.And{a, b, c}},
		{`NOT (kind = a AND kind = b) AND kind = c`, store.And{store.Not{C: store.And{a, b}}, c}},
		{`(kind = a OR kind = b) AND (kind = c OR kind = d)`, store.And{store.Or{a, b}, store.Or{c, d}}},
		// Sets.
		{`kind IN {a}`, store.In{Field: store.FieldKind, Patterns: []string{"a"}}},
		{`kind in {a, "b c"}`, store.In{Field: store.FieldKind, Patterns: []string{"a", "b c"}}},
		{`kind NOTIN {a,b}`, store.In{Field: store.FieldKind, Patterns: []string{"a", "b"}, Negate: true}},
		{`kind notin {"a*", b?}`, store.In{Field: store.FieldKind, Patterns: []string{"a*", "b?"}, Negate: true}},
		{`kind IN{a}AND kind NOTIN{b}`, store.And{
			store.In{Field: store.FieldKind, Patterns: []string{"a"}},
			store.In{Field: store.FieldKind, Patterns: []string{"b"}, Negate: true},
		}},
		// Keys may be quoted.
		{`"kind" = a`, a},
		// Reserved words are values when quoted, and mixed-case spellings
		// are plain identifiers.
		{`kind = "AND"`, eq(store.FieldKind, "AND")},
		{`kind = And`, eq(store.FieldKind, "And")},
		{`kind IN {"in", Not}`, store.In{Field: store.FieldKind, Patterns: []string{"in", "Not"}}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, condOpts()); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		src  string
		want store.Cond
	}{
		// Text keys take any value, unchanged.
		{`auditID = 0b7c1f1e-6f2d-4f55-a5ab-4b5c7d8e9f00`, eq(store.FieldAuditID, "0b7c1f1e-6f2d-4f55-a5ab-4b5c7d8e9f00")},
		{`kind = Event`, eq(store.FieldKind, "Event")},
		{`objectRef.apiGroup = networking.k8s.io`, eq(store.FieldObjectAPIGroup, "networking.k8s.io")},
		{`objectRef.apiGroup = ""`, eq(store.FieldObjectAPIGroup, "")},
		{`objectRef.resource = pods`, eq(store.FieldObjectResource, "pods")},
		{`responseObject.apiVersion = Networking.K8s.io/v1`, eq(store.FieldResponseAPIVersion, "Networking.K8s.io/v1")},
		{`responseObject.kind = Status`, eq(store.FieldResponseKind, "Status")},
		{`user.groups = system:masters`, eq(store.FieldUserGroups, "system:masters")},
		{`user.username = system:serviceaccount:kube-system:foo`, eq(store.FieldUsername, "system:serviceaccount:kube-system:foo")},
		{`user.username = "José"`, eq(store.FieldUsername, "José")},
		{`user.username = José`, eq(store.FieldUsername, "José")},
		{`kind = 1.5`, eq(store.FieldKind, "1.5")},
		{`kind = -2`, eq(store.FieldKind, "-2")},
		{`kind = _a/b:c`, eq(store.FieldKind, "_a/b:c")},
		// Literal wildcards in comparisons.
		{`kind != "a*?"`, cmpOp(store.FieldKind, store.OpNe, "a*?")},
		{`kind = a*`, eq(store.FieldKind, "a*")},
		// Go escapes in strings.
		{`kind = "a\"b\\c\td\u00e9\x41"`, eq(store.FieldKind, "a\"b\\c\tdéA")},
		{`kind = "tab	in"`, eq(store.FieldKind, "tab\tin")},
		// Enumerations.
		{`level = None`, eq(store.FieldLevel, "None")},
		{`level = RequestResponse`, eq(store.FieldLevel, "RequestResponse")},
		{`stage = ResponseComplete`, eq(store.FieldStage, "ResponseComplete")},
		{`stage != Panic`, cmpOp(store.FieldStage, store.OpNe, "Panic")},
		{`verb = "delete"`, eq(store.FieldVerb, "delete")},
		{`verb IN {get, list, "w*"}`, store.In{Field: store.FieldVerb, Patterns: []string{"get", "list", "w*"}}},
		{`level NOTIN {Request*}`, store.In{Field: store.FieldLevel, Patterns: []string{"Request*"}, Negate: true}},
		// Domain-normalised keys.
		{`name = Example..COM.`, eq(store.FieldName, "example.com")},
		{`objectRef.name = ...My.Pod`, eq(store.FieldObjectName, "my.pod")},
		{`objectRef.namespace = Prod..Team.`, eq(store.FieldObjectNamespace, "prod.team")},
		{`objectRef.namespace = "..."`, eq(store.FieldObjectNamespace, "")},
		{`objectRef.namespace IN {Kube-*, "A..B"}`, store.In{Field: store.FieldObjectNamespace, Patterns: []string{"kube-*", "a.b"}}},
		// URL-normalised keys.
		{`apiVersion = " audit.k8s.io/v1 "`, eq(store.FieldAPIVersion, "audit.k8s.io/v1")},
		{`objectRef.apiVersion = v1/`, eq(store.FieldObjectAPIVersion, "v1")},
		{`requestURI = "/api//v1/./namespaces/x/../pods/?watch=true&x=a//b"`, eq(store.FieldRequestURI, "/api/v1/namespaces/pods?watch=true&x=a//b")},
		{`requestURI = /`, eq(store.FieldRequestURI, "/")},
		{`requestURI = ""`, eq(store.FieldRequestURI, "")},
		{`requestURI IN {"*dryRun*", "/apis//*"}`, store.In{Field: store.FieldRequestURI, Patterns: []string{"*dryRun*", "/apis/*"}}},
		// Status codes.
		{`responseStatus.code = 100`, eq(store.FieldResponseCode, int64(100))},
		{`responseStatus.code != "599"`, cmpOp(store.FieldResponseCode, store.OpNe, int64(599))},
		{`responseStatus.code <= 299`, cmpOp(store.FieldResponseCode, store.OpLe, int64(299))},
		{`responseStatus.code > 399`, cmpOp(store.FieldResponseCode, store.OpGt, int64(399))},
		{`responseStatus.code IN {200, 0201, "4??", 5*}`, store.In{Field: store.FieldResponseCode, Patterns: []string{"200", "201", "4??", "5*"}}},
		// Dates.
		{`timestamp >= 2026-11-23T04:00:00.123456789Z`, cmpOp(store.FieldTimestamp, store.OpGe, utc(2026, 11, 23, 4, 0, 0, 123456789))},
		{`timestamp < "2026-11-23T05:00:00+01:00"`, cmpOp(store.FieldTimestamp, store.OpLt, utc(2026, 11, 23, 4, 0, 0, 0))},
		{`stageTimestamp <= "2026-11-23 04:05:06"`, cmpOp(store.FieldStageTimestamp, store.OpLe, utc(2026, 11, 23, 4, 5, 6, 0))},
		{`requestReceivedTimestamp = 2026-11-23`, eq(store.FieldRequestReceivedTimestamp, utc(2026, 11, 23, 0, 0, 0, 0))},
		{`requestReceivedTimestamp != 2026-11-23`, cmpOp(store.FieldRequestReceivedTimestamp, store.OpNe, utc(2026, 11, 23, 0, 0, 0, 0))},
		// Source addresses.
		{`sourceIPs = 10.1.2.3`, eq(store.FieldSourceIPs, netip.MustParsePrefix("10.1.2.3/32"))},
		{`sourceIPs = 10.1.2.3/8`, eq(store.FieldSourceIPs, netip.MustParsePrefix("10.0.0.0/8"))},
		{`sourceIPs != "2001:db8::1"`, cmpOp(store.FieldSourceIPs, store.OpNe, netip.MustParsePrefix("2001:db8::1/128"))},
		{`sourceIPs = "2001:db8::/32"`, eq(store.FieldSourceIPs, netip.MustParsePrefix("2001:db8::/32"))},
		{`sourceIPs = "::ffff:10.0.0.1"`, eq(store.FieldSourceIPs, netip.MustParsePrefix("10.0.0.1/32"))},
		{`sourceIPs = "::ffff:10.0.0.0/104"`, eq(store.FieldSourceIPs, netip.MustParsePrefix("10.0.0.0/8"))},
		{`sourceIPs = "::ffff:0:0/80"`, eq(store.FieldSourceIPs, netip.MustParsePrefix("::/80"))},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, condOpts()); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseEveryKey checks that each audit key parses to the field of the
// same name.
func TestParseEveryKey(t *testing.T) {
	values := map[store.Field]string{
		store.FieldLevel:                    "Metadata",
		store.FieldStage:                    "Panic",
		store.FieldVerb:                     "get",
		store.FieldResponseCode:             "200",
		store.FieldRequestReceivedTimestamp: "2026-01-02",
		store.FieldStageTimestamp:           "2026-01-02",
		store.FieldTimestamp:                "2026-01-02",
		store.FieldSourceIPs:                "10.0.0.1",
	}
	fields := []store.Field{
		store.FieldAPIVersion, store.FieldAuditID, store.FieldKind, store.FieldLevel, store.FieldName,
		store.FieldObjectAPIGroup, store.FieldObjectAPIVersion, store.FieldObjectName, store.FieldObjectResource,
		store.FieldObjectNamespace, store.FieldRequestReceivedTimestamp, store.FieldRequestURI,
		store.FieldResponseAPIVersion, store.FieldResponseKind, store.FieldResponseCode, store.FieldSourceIPs,
		store.FieldStage, store.FieldStageTimestamp, store.FieldTimestamp, store.FieldUserGroups,
		store.FieldUsername, store.FieldVerb,
	}
	if len(fields) != 22 {
		t.Fatalf("%d fields listed, want 22", len(fields))
	}
	for _, f := range fields {
		v, ok := values[f]
		if !ok {
			v = "x"
		}
		src := string(f) + " = " + v
		got, err := Parse(src)
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		if c, ok := got.(store.Cmp); !ok || c.Field != f || c.Op != store.OpEq {
			t.Errorf("Parse(%q) = %#v, want an = on %s", src, got, f)
		}
	}
}

func TestParseNestingLimit(t *testing.T) {
	deep := func(n int) string {
		s := "kind = a"
		for range n {
			s = "(" + s + ")"
		}
		return s
	}
	if _, err := Parse(deep(maxDepth)); err != nil {
		t.Errorf("%d levels: %v", maxDepth, err)
	}
	err := Validate(deep(maxDepth + 1))
	want := `query "` + deep(maxDepth+1) + `": column 101: conditions nested more than 100 levels deep`
	if err == nil || err.Error() != want {
		t.Errorf("%d levels: got %v, want %s", maxDepth+1, err, want)
	}
}
