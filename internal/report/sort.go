package report

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sort puts the report's lists in their canonical order, the order every
// default report type prints:
//
//   - endpoints, namespaces and services by their printed ResourceID, and
//     each endpoint's applied policies and services likewise;
//   - flows by printed source, then printed destination;
//   - CIS nodes by name, their sections and tests by dotted index
//     (1.2.10 after 1.2.9);
//   - audit events by requestReceivedTimestamp, stably (events the engine
//     already ordered keep their order);
//   - the evidence coverage's lists by kind, source and reason.
func (d *ReportData) Sort() {
	slices.SortStableFunc(d.Endpoints, func(a, b EndpointsReportEndpoint) int {
		return strings.Compare(a.Endpoint.String(), b.Endpoint.String())
	})
	for i := range d.Endpoints {
		sortIDs(d.Endpoints[i].AppliedPolicies)
		sortIDs(d.Endpoints[i].Services)
	}
	slices.SortStableFunc(d.Namespaces, func(a, b EndpointsReportNamespace) int {
		return strings.Compare(a.Namespace.String(), b.Namespace.String())
	})
	slices.SortStableFunc(d.Services, func(a, b EndpointsReportService) int {
		return strings.Compare(a.Service.String(), b.Service.String())
	})
	slices.SortStableFunc(d.Flows, compareFlows)
	sortAuditEvents(d.AuditEvents)
	sortCIS(d.CISBenchmark)
	d.EvidenceCoverage.sort()
}

func sortIDs(ids []ResourceID) {
	slices.SortStableFunc(ids, func(a, b ResourceID) int { return strings.Compare(a.String(), b.String()) })
}

func compareFlows(a, b EndpointsReportFlow) int {
	return cmp.Or(strings.Compare(a.Source.String(), b.Source.String()),
		strings.Compare(a.Destination.String(), b.Destination.String()))
}

// sortAuditEvents orders events by requestReceivedTimestamp, stably;
// events whose time cannot be read sort first.
func sortAuditEvents(events []AuditEvent) {
	if len(events) < 2 {
		return
	}
	type keyed struct {
		key   string
		event AuditEvent
	}
	ks := make([]keyed, len(events))
	for i, e := range events {
		ks[i] = keyed{eventTime(e), e}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	for i, k := range ks {
		events[i] = k.event
	}
}

// eventTime returns requestReceivedTimestamp in a form that sorts as text.
func eventTime(e AuditEvent) string {
	var head struct {
		RequestReceivedTimestamp string `json:"requestReceivedTimestamp"`
	}
	if json.Unmarshal(e, &head) != nil {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, head.RequestReceivedTimestamp)
	if err != nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

func sortCIS(nodes []CISBenchmarkNode) {
	slices.SortStableFunc(nodes, func(a, b CISBenchmarkNode) int { return strings.Compare(a.NodeName, b.NodeName) })
	for i := range nodes {
		sections := nodes[i].Results
		slices.SortStableFunc(sections, func(a, b CISBenchmarkSectionResult) int {
			return CompareIndex(a.Section, b.Section)
		})
		for j := range sections {
			slices.SortStableFunc(sections[j].Results, func(a, b CISBenchmarkResult) int {
				return CompareIndex(a.TestNumber, b.TestNumber)
			})
		}
	}
}

// CompareIndex orders dotted benchmark indexes such as 1.2.10 part by
// part, numerically where both parts are numbers (1.2.9 < 1.2.10 < 1.10),
// and a prefix before its extensions (1.2 < 1.2.1).
func CompareIndex(a, b string) int {
	for a != "" || b != "" {
		if a == "" {
			return -1
		}
		if b == "" {
			return 1
		}
		var pa, pb string
		pa, a, _ = strings.Cut(a, ".")
		pb, b, _ = strings.Cut(b, ".")
		na, errA := strconv.ParseUint(pa, 10, 64)
		nb, errB := strconv.ParseUint(pb, 10, 64)
		var c int
		switch {
		case errA == nil && errB == nil:
			c = cmp.Compare(na, nb)
		case errA == nil:
			c = -1 // numbers before words
		case errB == nil:
			c = 1
		default:
			c = strings.Compare(pa, pb)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func (c *EvidenceCoverage) sort() {
	slices.SortStableFunc(c.Baselines, func(a, b Baseline) int { return strings.Compare(a.Kind, b.Kind) })
	slices.SortStableFunc(c.Sources, func(a, b SourceCoverage) int { return strings.Compare(a.Source, b.Source) })
	for i := range c.Sources {
		slices.SortStableFunc(c.Sources[i].Gaps, func(a, b Gap) int { return a.From.Compare(b.From.Time) })
	}
	slices.SortStableFunc(c.Rejected, func(a, b RejectedCount) int { return strings.Compare(a.Reason, b.Reason) })
	sortIDs(c.WithoutCreate.Examples)
}
