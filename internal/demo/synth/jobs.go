package synth

import (
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// cronJob is a CronJob whose Jobs each run one pod to completion. The
// last three finished pods are kept; older ones are garbage-collected.
type cronJob struct {
	ns      *namespace
	name    string
	every   time.Duration
	offset  time.Duration // into each period
	image   string
	command []string
	done    []*pod // finished pods still present, oldest first
}

const jobHistoryLimit = 3

func (s *sim) seedCronJobs() {
	add := func(nsName, name string, every, offset time.Duration, image string, command ...string) {
		ns := s.namespace(nsName)
		cj := &cronJob{ns: ns, name: name, every: every, offset: offset, image: image, command: command}
		s.w.cronJobs = append(s.w.cronJobs, cj)
		first := s.opts.Start.Truncate(every).Add(offset)
		for first.After(s.opts.Start) {
			first = first.Add(-every)
		}
		for i := jobHistoryLimit; i >= 1; i-- {
			at := first.Add(-time.Duration(i-1) * every)
			p := s.newPod(s.jobRev(cj, at), ns)
			s.seedPod(p, at.Add(time.Second), stDone)
			cj.done = append(cj.done, p)
		}
	}
	add("payroll", "payroll-batch", 24*time.Hour, time.Hour, "registry.example.com/payroll/batch:2.3.1", "/bin/payroll", "--run", "nightly")
	add("collections", "dunning-report", 24*time.Hour, 6*time.Hour, "registry.example.com/collections/report:1.9.0", "/bin/report", "--type=dunning")
	add("dev", "e2e-tests", 6*time.Hour, 17*time.Minute, "registry.example.com/dev/e2e:0.42.0", "/bin/e2e", "--suite=smoke")
}

// jobRev is the pod revision of the Job a CronJob starts at t.
func (s *sim) jobRev(cj *cronJob, at time.Time) *podRev {
	job := cj.name + "-" + strconv.FormatInt(at.Unix()/60, 10)
	uid := s.rnd.uuid()
	return s.newRev(revInput{
		shape: podSpec{command: cj.command, jobPod: true, manager: "kube-controller-manager"},
		app:   cj.name, ns: cj.ns.m.name, image: cj.image, sa: "default",
		generateName: job + "-",
		labels: labelsOf("batch.kubernetes.io/controller-uid", uid, "batch.kubernetes.io/job-name", job,
			"controller-uid", uid, "job-name", job),
		owner: &metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: job, UID: types.UID(uid),
			Controller: ptr(true), BlockOwnerDeletion: ptr(true)},
	})
}

// scheduleCronJobs plans every run of every CronJob in the history.
func (s *sim) scheduleCronJobs() {
	for _, cj := range s.w.cronJobs {
		cj := cj
		next := s.opts.Start.Truncate(cj.every).Add(cj.offset)
		for !next.After(s.opts.Start) {
			next = next.Add(cj.every)
		}
		var tick func()
		at := next
		tick = func() {
			s.runJob(cj, at)
			at = at.Add(cj.every)
			s.at(at.Add(s.rnd.between(time.Second, 4*time.Second)), tick)
		}
		s.at(at.Add(s.rnd.between(time.Second, 4*time.Second)), tick)
	}
}

// runJob creates the pod of one Job run and, once it has finished,
// collects the oldest finished pod beyond the history limit.
func (s *sim) runJob(cj *cronJob, at time.Time) {
	if cj.ns.deleting || cj.ns.gone {
		return
	}
	p := s.newPod(s.jobRev(cj, at), cj.ns)
	s.createPod(p, s.w.users.job, "")
	cj.done = append(cj.done, p)
	if len(cj.done) > jobHistoryLimit {
		old := cj.done[0]
		cj.done = cj.done[1:]
		s.after(s.rnd.between(20*time.Minute, 40*time.Minute), func() {
			s.deletePod(old, s.w.users.gc, deleteOptionsBackground)
		})
	}
}

// namespace finds a namespace by name (nil when absent).
func (s *sim) namespace(name string) *namespace {
	for _, ns := range s.w.namespaces {
		if ns.m.name == name && !ns.gone {
			return ns
		}
	}
	return nil
}
