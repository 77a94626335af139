package server_test

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/evident-dev/evident/internal/query"
	"github.com/evident-dev/evident/internal/server"
	"github.com/evident-dev/evident/internal/store"
)

var queryFormatSeeds = []string{
	"",
	"verb = create",
	`verb IN {create, delete} AND responseStatus.code >= 400`,
	`NOT (objectRef.namespace = Prod..Team. OR user.username = "system:*")`,
	`user.groups NOTIN {"system:*", admins} || NOT NOT level = Metadata`,
	`a = b`,
	`sourceIPs = 10.0.0.0/8 AND sourceIPs != ::ffff:192.168.1.1 AND sourceIPs = 2001:db8::1`,
	`timestamp > 2026-11-23 AND stageTimestamp <= "2026-11-23T04:09:23.146874Z" AND requestReceivedTimestamp < "2026-11-23 05:00:00"`,
	`requestURI = "/api/v1//namespaces/./dev?watch=1" AND apiVersion = " v1 "`,
	`responseStatus.code IN {"4??", 500, 5*}`,
	`user.username = "quote \" backslash \\ tab \t newline \n \x41 \u00e9"`,
	`(verb = get AND (verb = list OR (verb = watch AND NOT verb = create)))`,
	`auditID = AND`,
}

// TestFormatQuery checks that formatted queries parse back to the same
// condition.
func TestFormatQuery(t *testing.T) {
	for _, src := range queryFormatSeeds {
		c, err := query.Parse(src)
		if err != nil {
			continue // some seeds are invalid on purpose
		}
		text, err := server.FormatQuery(c)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		back, err := query.Parse(text)
		if err != nil {
			t.Errorf("%s: formatted as %s, which does not parse: %v", src, text, err)
			continue
		}
		if diff := cmp.Diff(c, back, prefixes); diff != "" {
			t.Errorf("%s: formatted as %s (-want +got):\n%s", src, text, diff)
		}
	}
	for _, c := range []store.Cond{store.And{}, store.Or{}, store.In{Field: store.FieldVerb}, store.Cmp{Field: store.FieldVerb, Value: 3.5},
		store.Not{}} {
		if s, err := server.FormatQuery(c); err == nil {
			t.Errorf("%#v formatted as %q", c, s)
		}
	}
}

var prefixes = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })

func FuzzFormatQuery(f *testing.F) {
	for _, s := range queryFormatSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := query.Parse(src)
		if err != nil {
			return
		}
		text, err := server.FormatQuery(c)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		back, err := query.Parse(text)
		if err != nil {
			t.Fatalf("%q formatted as %q, which does not parse: %v", src, text, err)
		}
		if diff := cmp.Diff(c, back, prefixes); diff != "" {
			t.Fatalf("%q formatted as %q (-want +got):\n%s", src, text, diff)
		}
	})
}
