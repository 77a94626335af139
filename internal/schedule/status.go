package schedule

import (
	"cmp"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/evident-dev/evident/api/v1"
)

// jobKind is the Kind of the object references to report jobs.
const jobKind = "ReportJob"

// newJob is the status entry of the job for iv.
func newJob(report string, iv Interval) v1.ReportJob {
	return v1.ReportJob{
		Start: metav1.NewTime(iv.Start),
		End:   metav1.NewTime(iv.End),
		Job:   &corev1.ObjectReference{Kind: jobKind, Name: JobName(report, iv.End)},
	}
}

// jobName is the name of the job behind a status entry; entries without a
// reference are named after their interval.
func jobName(report string, j v1.ReportJob) string {
	if j.Job != nil && j.Job.Name != "" {
		return j.Job.Name
	}
	return JobName(report, j.End.Time)
}

// compareJobs orders jobs by end time, then by job name.
func compareJobs(a, b v1.ReportJob) int {
	if c := a.End.Time.Compare(b.End.Time); c != 0 {
		return c
	}
	return cmp.Compare(refName(a), refName(b))
}

func refName(j v1.ReportJob) string {
	if j.Job == nil {
		return ""
	}
	return j.Job.Name
}

// sortStatus puts every job list of st in end-time order.
func sortStatus(st *v1.ReportStatus) {
	slices.SortStableFunc(st.ActiveReportJobs, compareJobs)
	byEnd := func(a, b v1.CompletedReportJob) int { return compareJobs(a.ReportJob, b.ReportJob) }
	slices.SortStableFunc(st.LastSuccessfulReportJobs, byEnd)
	slices.SortStableFunc(st.LastFailedReportJobs, byEnd)
}

// trimHistory sorts st and drops the oldest completed jobs beyond the
// history limits; it reports whether it dropped any.
func trimHistory(st *v1.ReportStatus, o Options) bool {
	sortStatus(st)
	trim := func(jobs []v1.CompletedReportJob, limit int) []v1.CompletedReportJob {
		if len(jobs) <= limit {
			return jobs
		}
		kept := slices.Clone(jobs[len(jobs)-limit:])
		if len(kept) == 0 {
			return nil
		}
		return kept
	}
	n := len(st.LastSuccessfulReportJobs) + len(st.LastFailedReportJobs)
	st.LastSuccessfulReportJobs = trim(st.LastSuccessfulReportJobs, o.MaxSuccessfulJobsHistory)
	st.LastFailedReportJobs = trim(st.LastFailedReportJobs, o.MaxFailedJobsHistory)
	return n != len(st.LastSuccessfulReportJobs)+len(st.LastFailedReportJobs)
}

// complete moves the active job at index i of st into the successful or
// failed history, finished at the given time.
func complete(st *v1.ReportStatus, i int, succeeded bool, at time.Time) {
	done := v1.CompletedReportJob{ReportJob: st.ActiveReportJobs[i], JobCompletionTime: new(metav1.NewTime(at))}
	st.ActiveReportJobs = slices.Delete(st.ActiveReportJobs, i, i+1)
	if len(st.ActiveReportJobs) == 0 {
		st.ActiveReportJobs = nil
	}
	if succeeded {
		st.LastSuccessfulReportJobs = append(st.LastSuccessfulReportJobs, done)
	} else {
		st.LastFailedReportJobs = append(st.LastFailedReportJobs, done)
	}
}

// addJob records the job for iv as active and as the last scheduled one.
func addJob(st *v1.ReportStatus, report string, iv Interval) {
	j := newJob(report, iv)
	st.ActiveReportJobs = append(st.ActiveReportJobs, j)
	last := j
	last.Job = j.Job.DeepCopy()
	st.LastScheduledReportJob = &last
}

// advanceLastScheduled makes the job with the latest end not after now the
// last scheduled one, as the status lists it; it reports whether that
// changed anything.
func advanceLastScheduled(st *v1.ReportStatus, now time.Time) bool {
	changed := false
	consider := func(j v1.ReportJob) {
		if j.End.Time.After(now) {
			return
		}
		if last := st.LastScheduledReportJob; last != nil && !j.End.Time.After(last.End.Time) {
			return
		}
		st.LastScheduledReportJob = j.DeepCopy()
		changed = true
	}
	for _, j := range st.ActiveReportJobs {
		consider(j)
	}
	for _, j := range st.LastSuccessfulReportJobs {
		consider(j.ReportJob)
	}
	for _, j := range st.LastFailedReportJobs {
		consider(j.ReportJob)
	}
	return changed
}
