package report

import (
	"cmp"
	"slices"

	v1 "github.com/evident-dev/evident/api/v1"
)

// CISTopFailedTests is the result of cisTopFailedTests.
type CISTopFailedTests struct {
	Tests []CISTopFailedTest `json:"tests"`
}

// CISTopFailedTest is a test that failed on Count nodes.
type CISTopFailedTest struct {
	TestNumber string `json:"testNumber"`
	TestDesc   string `json:"testDesc"`
	TestInfo   string `json:"testInfo"`
	Count      int    `json:"count"`
}

// cisTopFailedTests counts each failed test (by number and description)
// across the nodes of d and returns the most frequent, as many as the
// report's cis.numFailedTests (default 5): highest count first, ties in
// test-index order.
func cisTopFailedTests(d *ReportData) CISTopFailedTests {
	if d == nil {
		return CISTopFailedTests{Tests: []CISTopFailedTest{}}
	}
	limit := v1.DefaultCISNumFailedTests
	if c := d.ReportSpec.CIS; c != nil && c.NumFailedTests != nil {
		limit = max(*c.NumFailedTests, 0)
	}
	type key struct{ number, desc string }
	counts := map[key]*CISTopFailedTest{}
	for _, n := range d.CISBenchmark {
		for _, s := range n.Results {
			for _, t := range s.Results {
				if t.Status != "FAIL" {
					continue
				}
				k := key{t.TestNumber, t.TestDesc}
				if c := counts[k]; c != nil {
					c.Count++
					continue
				}
				counts[k] = &CISTopFailedTest{TestNumber: t.TestNumber, TestDesc: t.TestDesc, TestInfo: t.TestInfo, Count: 1}
			}
		}
	}
	tests := make([]CISTopFailedTest, 0, len(counts))
	for _, c := range counts {
		tests = append(tests, *c)
	}
	slices.SortFunc(tests, func(a, b CISTopFailedTest) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), CompareIndex(a.TestNumber, b.TestNumber),
			cmp.Compare(a.TestDesc, b.TestDesc))
	})
	if len(tests) > limit {
		tests = tests[:limit]
	}
	return CISTopFailedTests{Tests: tests}
}

// CISResultRow is one test result of one node, as cisResults lists them.
type CISResultRow struct {
	NodeName string
	Section  string
	CISBenchmarkResult
}

// cisResults flattens the results of nodes into one row per test, in node,
// section and test order, keeping only the given statuses when any are
// given (cisResults .CISBenchmark "FAIL").
func cisResults(nodes []CISBenchmarkNode, statuses ...string) []CISResultRow {
	rows := []CISResultRow{}
	for _, n := range nodes {
		for _, s := range n.Results {
			for _, t := range s.Results {
				if len(statuses) > 0 && !slices.Contains(statuses, t.Status) {
					continue
				}
				rows = append(rows, CISResultRow{NodeName: n.NodeName, Section: s.Section, CISBenchmarkResult: t})
			}
		}
	}
	return rows
}
