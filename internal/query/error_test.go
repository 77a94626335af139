package query

import (
	"errors"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const verbs = "get, list, watch, create, update, patch, delete"
	const dateMsg = `must be a date: RFC 3339 (2006-01-02T15:04:05Z), "2006-01-02 15:04:05" or 2006-01-02`
	tests := []struct {
		src    string
		column int
		msg    string
	}{
		// Lexical errors.
		{`verb = get # x`, 12, `unexpected character '#'`},
		{`kind = 'a'`, 8, `unexpected character '\'' (strings use double quotes)`},
		{"kind = `a`", 8, "unexpected character '`' (strings use double quotes)"},
		{`kind = a & kind = b`, 10, `expected && for AND, found a single &`},
		{`kind = a | kind = b`, 10, `expected || for OR, found a single |`},
		{`kind = "abc`, 8, `unterminated string`},
		{`kind = "abc\"`, 8, `unterminated string`},
		{`kind = "ab\qc"`, 11, `invalid escape sequence in string`},
		{`kind = "é\u12"`, 10, `invalid escape sequence in string`},
		{"kind = \xff", 8, `invalid UTF-8 byte`},
		{"kind = \"a\xff\"", 10, `invalid UTF-8 byte`},
		{"ééé = \xff", 7, `invalid UTF-8 byte`},
		{`kind == a`, 7, `expected a value after =, found "="`},
		{`kind =< a`, 7, `expected a value after =, found "<"`},
		// Structure.
		{`verb`, 5, `expected =, !=, <, <=, >, >=, IN or NOTIN after key verb, found end of query`},
		{`verb get`, 6, `expected =, !=, <, <=, >, >=, IN or NOTIN after key verb, found "get"`},
		{`verb ! = get`, 6, `expected =, !=, <, <=, >, >=, IN or NOTIN after key verb, found keyword !`},
		{`verb =`, 7, `expected a value after =, found end of query`},
		{`verb = AND kind = x`, 8, `expected a value after =, found keyword AND (write "AND" to use it as a value)`},
		{`verb = (get)`, 8, `expected a value after =, found "("`},
		{`verb = get verb = list`, 12, `expected AND, OR or end of query, found "verb"`},
		{`verb = get And kind = x`, 12, `expected AND, OR or end of query, found "And"`},
		{`verb = get)`, 11, `expected AND, OR or end of query, found ")"`},
		{`verb = get AND`, 15, `expected a key, ( or NOT, found end of query`},
		{`verb = get OR OR kind = x`, 15, `expected a key, ( or NOT, found keyword OR (write "OR" to use it as a key)`},
		{`verb = get && || kind = x`, 15, `expected a key, ( or NOT, found keyword ||`},
		{`NOT`, 4, `expected a key, ( or NOT, found end of query`},
		{`()`, 2, `expected a key, ( or NOT, found ")"`},
		{`)`, 1, `expected a key, ( or NOT, found ")"`},
		{`in = a`, 1, `expected a key, ( or NOT, found keyword in (write "in" to use it as a key)`},
		{`{a}`, 1, `expected a key, ( or NOT, found "{"`},
		{`(verb = get`, 12, `expected AND, OR or ) closing the ( at column 1, found end of query`},
		{`x AND ((verb = get) kind = a)`, 1, `unknown key "x"; valid keys are ` + keyNames},
		{`kind = a AND ((verb = get) kind = b)`, 28, `expected AND, OR or ) closing the ( at column 14, found "kind"`},
		{`kind IN a`, 9, `expected { after IN, found "a"`},
		{`kind notin`, 11, `expected { after notin, found end of query`},
		{`kind IN {}`, 10, `expected a set member, found "}"`},
		{`kind IN {a,}`, 12, `expected a set member, found "}"`},
		{`kind IN {a b}`, 12, `expected , or } closing the { at column 9, found "b"`},
		{`kind IN {a`, 11, `expected , or } closing the { at column 9, found end of query`},
		{`kind IN {a, OR}`, 13, `expected a set member, found keyword OR (write "OR" to use it as a member)`},
		// Keys.
		{`bogus = 1`, 1, `unknown key "bogus"; valid keys are ` + keyNames},
		{`"" = 1`, 1, `unknown key ""; valid keys are ` + keyNames},
		{`Verb = get`, 1, `unknown key "Verb" (did you mean verb?)`},
		{`kind = a OR objectref.name = b`, 13, `unknown key "objectref.name" (did you mean objectRef.name?)`},
		{`user = a`, 1, `unknown key "user"; valid keys are ` + keyNames},
		// Values.
		{`verb = bogus`, 8, `verb must be one of ` + verbs},
		{`verb = Create`, 8, `verb must be one of ` + verbs + ` (did you mean create?)`},
		{`verb IN {get, "posts"}`, 15, `verb must be one of ` + verbs},
		{`verb NOTIN {"x*"}`, 13, `verb pattern "x*" matches none of ` + verbs},
		{`level = none`, 9, `level must be one of None, Metadata, Request, RequestResponse (did you mean None?)`},
		{`stage = Done`, 9, `stage must be one of RequestReceived, ResponseStarted, ResponseComplete, Panic`},
		{`responseStatus.code = 99`, 23, `responseStatus.code must be an integer from 100 to 599`},
		{`responseStatus.code = 600`, 23, `responseStatus.code must be an integer from 100 to 599`},
		{`responseStatus.code = 404.0`, 23, `responseStatus.code must be an integer from 100 to 599`},
		{`responseStatus.code = "4??"`, 23, `responseStatus.code must be an integer from 100 to 599`},
		{`responseStatus.code IN {200, 700}`, 30, `responseStatus.code must be an integer from 100 to 599`},
		{`responseStatus.code IN {"4x?"}`, 25, `responseStatus.code pattern "4x?" may hold only digits, * and ?`},
		{`timestamp > yesterday`, 13, `timestamp ` + dateMsg},
		{`stageTimestamp > 2026-13-01`, 18, `stageTimestamp ` + dateMsg},
		{`requestReceivedTimestamp < "2026-11-23T04:00"`, 28, `requestReceivedTimestamp ` + dateMsg},
		{`timestamp IN {2026-01-01}`, 11, `timestamp does not support IN; compare it with =, !=, <, <=, > or >=`},
		{`sourceIPs = 10.0.0.300`, 13, `sourceIPs must be an IP address or CIDR`},
		{`sourceIPs = 10.0.0.0/33`, 13, `sourceIPs must be an IP address or CIDR`},
		{`sourceIPs = "fe80::1%eth0"`, 13, `sourceIPs must be an IP address or CIDR`},
		{`sourceIPs = "10.*"`, 13, `sourceIPs must be an IP address or CIDR`},
		{`sourceIPs IN {10.0.0.1}`, 11, `sourceIPs does not support IN; use = or != with an address or CIDR`},
		{`sourceIPs NOTIN {10.0.0.1}`, 11, `sourceIPs does not support NOTIN; use = or != with an address or CIDR`},
		// Ordered comparators.
		{`verb < get`, 6, `operator < applies only to responseStatus.code and the timestamp keys, not verb`},
		{`kind >= a`, 6, `operator >= applies only to responseStatus.code and the timestamp keys, not kind`},
		{`sourceIPs > 10.0.0.1`, 11, `operator > applies only to responseStatus.code and the timestamp keys, not sourceIPs`},
		{`objectRef.name <= a`, 16, `operator <= applies only to responseStatus.code and the timestamp keys, not objectRef.name`},
		// Columns count runes, not bytes.
		{`user.username = "日本" AND verb = nope`, 33, `verb must be one of ` + verbs},
		{"user.username = 日本語 OR\n x = 1", 25, `unknown key "x"; valid keys are ` + keyNames},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := Parse(tt.src)
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse error = %v, want *Error", err)
			}
			want := Error{Query: tt.src, Column: tt.column, Msg: tt.msg}
			if *qe != want {
				t.Errorf("Parse error\n got: %s\nwant: %s", qe, &want)
			}
			if verr := Validate(tt.src); verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate error = %v, want %v", verr, err)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	err := Validate("verb = bogus")
	want := `query "verb = bogus": column 8: verb must be one of get, list, watch, create, update, patch, delete`
	if err == nil || err.Error() != want {
		t.Errorf("Validate error = %v, want %s", err, want)
	}
}
