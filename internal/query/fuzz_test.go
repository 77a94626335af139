package query

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/evident-dev/evident/internal/store"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		``,
		`verb = create AND objectRef.resource IN {networkpolicies, "globalnetwork*"}`,
		`NOT user.username = "system:serviceaccount:*"`,
		`user.username IN {"system:serviceaccount:*"}`,
		`responseStatus.code >= 400 && responseStatus.code < 500`,
		`requestReceivedTimestamp > "2026-11-23T04:00:00Z"`,
		`sourceIPs = 10.0.0.0/8`,
		`(verb = patch or verb = update) and objectRef.namespace = Prod..Team.`,
		`!(level = None || stage notin {"Resp*"}) && requestURI = "/api//v1/?watch=1"`,
		`timestamp <= "2026-11-23 04:05:06" OR stageTimestamp != 2026-11-23`,
		`responseStatus.code IN {"4??", 500}`,
		`kind = "a\"b\u00e9\x41"`,
		`sourceIPs != "::ffff:10.0.0.0/104"`,
		`((verb = get)`,
		`kind = "unterminated`,
		"kind = \xff",
		`kind IN {a,`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse(src)
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q) error %v is not an *Error", src, err)
			}
			if n := utf8.RuneCountInString(src); qe.Column < 1 || qe.Column > n+1 {
				t.Fatalf("Parse(%q): column %d outside 1..%d", src, qe.Column, n+1)
			}
			if qe.Query != src || qe.Msg == "" {
				t.Fatalf("Parse(%q): bad error %#v", src, qe)
			}
			if verr := Validate(src); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("Validate(%q) = %v, want %v", src, verr, err)
			}
			return
		}
		if err := Validate(src); err != nil {
			t.Fatalf("Validate(%q) = %v after Parse succeeded", src, err)
		}
		// Evaluation must not panic whatever the event holds.
		Eval(c, func(store.Field) []string { return nil })
		Eval(c, func(f store.Field) []string { return []string{src, string(f), "10.0.0.1", "404"} })
	})
}
