package schedule

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
)

func TestTrimHistory(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC) }
	done := func(report string, end int) v1.CompletedReportJob {
		j := newJob(report, Interval{Start: day(end - 1), End: day(end)})
		return v1.CompletedReportJob{ReportJob: j, JobCompletionTime: new(metav1.NewTime(day(end).Add(time.Hour)))}
	}
	st := v1.ReportStatus{
		// Out of order, with two jobs ending at the same time: the tie
		// is broken by job name.
		LastSuccessfulReportJobs: []v1.CompletedReportJob{done("r", 5), done("r", 2), done("r", 9), done("r", 7)},
		LastFailedReportJobs:     []v1.CompletedReportJob{done("r", 8), done("r", 3), done("s", 6), done("r", 6), done("r", 1)},
		ActiveReportJobs:         []v1.ReportJob{newJob("r", Interval{day(10), day(11)}), newJob("r", Interval{day(9), day(10)})},
	}
	if !trimHistory(&st, Options{}.withDefaults()) {
		t.Error("trimHistory reported no change")
	}
	want := statusView{
		Active: []string{
			"03-09T00:00:00/03-10T00:00:00 ReportJob/evident-report.r-1710028800",
			"03-10T00:00:00/03-11T00:00:00 ReportJob/evident-report.r-1710115200",
		},
		Successful: []string{
			"03-06T00:00:00/03-07T00:00:00 ReportJob/evident-report.r-1709769600 @03-07T01:00:00",
			"03-08T00:00:00/03-09T00:00:00 ReportJob/evident-report.r-1709942400 @03-09T01:00:00",
		},
		Failed: []string{
			"03-05T00:00:00/03-06T00:00:00 ReportJob/evident-report.r-1709683200 @03-06T01:00:00",
			"03-05T00:00:00/03-06T00:00:00 ReportJob/evident-report.s-1709683200 @03-06T01:00:00",
			"03-07T00:00:00/03-08T00:00:00 ReportJob/evident-report.r-1709856000 @03-08T01:00:00",
		},
	}
	if diff := cmp.Diff(want, viewOf(st)); diff != "" {
		t.Errorf("trimmed status (-want +got):\n%s", diff)
	}
	if trimHistory(&st, Options{}.withDefaults()) {
		t.Error("trimming a trimmed status reported a change")
	}
	if trimHistory(&st, Options{MaxSuccessfulJobsHistory: -1, MaxFailedJobsHistory: -1}.withDefaults()); st.LastSuccessfulReportJobs != nil || st.LastFailedReportJobs != nil {
		t.Errorf("with no history kept: %+v", viewOf(st))
	}
}

func TestAdvanceLastScheduled(t *testing.T) {
	h := func(n int) time.Time { return time.Date(2024, 3, 6, n, 0, 0, 0, time.UTC) }
	st := v1.ReportStatus{
		ActiveReportJobs: []v1.ReportJob{newJob("r", Interval{h(3), h(4)}), newJob("r", Interval{h(4), h(5)})},
		LastSuccessfulReportJobs: []v1.CompletedReportJob{
			{ReportJob: newJob("r", Interval{h(1), h(2)})},
		},
		LastScheduledReportJob: &v1.ReportJob{Start: metav1.NewTime(h(1)), End: metav1.NewTime(h(2))},
	}
	// The job ending at 05:00 is not in the past yet.
	if !advanceLastScheduled(&st, h(4).Add(time.Minute)) {
		t.Fatal("advanceLastScheduled reported no change")
	}
	if got := viewOf(st).Last; got != "03-06T03:00:00/03-06T04:00:00 ReportJob/evident-report.r-1709697600" {
		t.Errorf("last scheduled = %q", got)
	}
	if advanceLastScheduled(&st, h(4).Add(time.Minute)) {
		t.Error("second advanceLastScheduled reported a change")
	}
}
