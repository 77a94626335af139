package report

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCSVField(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"Pod.v1(ns/a)", "Pod.v1(ns/a)"},
		{"a;b", "a;b"},
		{"true", "true"},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"two\nlines", "\"two\nlines\""},
		{"cr\rhere", "\"cr\rhere\""},
		{`app in {"a", "b"}`, `"app in {""a"", ""b""}"`},
		{"=1+2", "'=1+2"},
		{"+1+2", "'+1+2"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "\"'\rx\""},
		{`=HYPERLINK("x","y")`, `"'=HYPERLINK(""x"",""y"")"`},
		{"-", "'-"},
		{"--flag=value", "'--flag=value"},
		{"-1", "-1"},
		{"+2", "+2"},
		{"-1.5", "-1.5"},
		{"-.5", "-.5"},
		{"-3e4", "-3e4"},
		{"+6.02E+23", "+6.02E+23"},
		{"-1e", "'-1e"},
		{"-e5", "'-e5"},
		{"-.", "'-."},
		{"-1,5", `"'-1,5"`},
		{"-Inf", "'-Inf"},
		{"- 1", "'- 1"},
		{"1=1", "1=1"},
		{" =1", " =1"},
	}
	for _, tc := range tests {
		got := CSVField(tc.in)
		if got != tc.want {
			t.Errorf("CSVField(%q) = %q, want %q", tc.in, got, tc.want)
			continue
		}
		// The field reads back as one field: the input, neutralised.
		recs, err := csv.NewReader(strings.NewReader(got + "\n")).ReadAll()
		if tc.in == "" {
			continue
		}
		if err != nil || len(recs) != 1 || len(recs[0]) != 1 {
			t.Errorf("CSVField(%q) = %q does not read back as one field: %v %q", tc.in, got, err, recs)
			continue
		}
		back := strings.ReplaceAll(recs[0][0], "\r", "") // encoding/csv drops CRs
		if want := strings.TrimPrefix(back, "'"); want != strings.ReplaceAll(tc.in, "\r", "") {
			t.Errorf("CSVField(%q) reads back as %q", tc.in, back)
		}
	}
}

func TestCSVBuilder(t *testing.T) {
	type row struct {
		Name string
		N    int
		OK   bool
	}
	rows := []row{{"a", 1, true}, {"b,c", -2, false}}
	cols := `{{ $c := csv }}{{ $c.AddColumn "name" "{{ .Name }}" }}{{ $c.AddColumn "n" "{{ .N }}" }}{{ $c.AddColumn "ok" "{{ .OK }}" }}`
	tests := []struct {
		name string
		data any
		want string
	}{
		{"slice", rows, "name,n,ok\na,1,true\n\"b,c\",-2,false\n"},
		{"pointer to slice", &rows, "name,n,ok\na,1,true\n\"b,c\",-2,false\n"},
		{"array", [1]row{{"x", 0, false}}, "name,n,ok\nx,0,false\n"},
		{"empty slice", []row{}, "name,n,ok\n"},
		{"nil slice", []row(nil), "name,n,ok\n"},
		{"one record", row{"=x", 3, true}, "name,n,ok\n'=x,3,true"},
		{"pointer to record", &row{"y", 4, false}, "name,n,ok\ny,4,false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRenderer(t.Context(), Sample())
			tmpl, err := r.parse("t", cols+`{{ $c.Render .Data }}`)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.execute(tmpl, struct{ Data any }{tc.data})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSVBuilderReportData(t *testing.T) {
	got := renderOK(t, `{{ $c := csv }}{{ $c.AddColumn "report" "{{ .ReportName }}" }}{{ $c.AddColumn "heading, with comma" "{{ len .Endpoints }}" }}{{ $c.Render . }}`, sortedFixture(t))
	if want := "report,\"heading, with comma\"\nweekly-finance,4"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A builder without columns still prints its (empty) lines.
	if got := renderOK(t, `{{ $c := csv }}{{ $c.Render (list 1 2) }}`, Sample()); got != "\n\n\n" {
		t.Errorf("no columns: %q", got)
	}
	// Builders are independent.
	got = renderOK(t, `{{ $a := csv }}{{ $b := csv }}{{ $a.AddColumn "a" "1" }}{{ $b.AddColumn "b" "2" }}{{ $a.Render . }}|{{ $b.Render . }}`, Sample())
	if want := "a\n1|b\n2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCSVBuilderErrors(t *testing.T) {
	tests := []struct{ name, tmpl, want string }{
		{"cell parse error", `{{ $c := csv }}{{ $c.AddColumn "x" "{{ if }}" }}`, `csv column "x"`},
		{"cell execution error", `{{ $c := csv }}{{ $c.AddColumn "x" "{{ .Nope }}" }}{{ $c.Render .Endpoints }}`, `csv row 1, column "x"`},
		{"too many columns", `{{ $c := csv }}{{ range 2000 }}{{ $c.AddColumn "x" "" }}{{ end }}`, "more than 1024 columns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.tmpl, Sample())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestIsPlainNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "12": true, "+12": true, "1.": true, ".5": true, "-1.25e-3": true, "1E9": true,
		"": false, "-": false, "+": false, ".": false, "e5": false, "1e": false, "1e+": false, "1.2.3": false,
		"0x10": false, "1_000": false, "NaN": false, "--1": false, "1 ": false,
	} {
		if got := isPlainNumber(s); got != want {
			t.Errorf("isPlainNumber(%q) = %v, want %v", s, got, want)
		}
	}
}
