package synth

import (
	"time"
)

// liveDeployments are the deployments whose namespace is not going away.
func (s *sim) liveDeployments() []*deployment {
	var out []*deployment
	for _, d := range s.w.deployments {
		if !d.ns.deleting && !d.ns.gone {
			out = append(out, d)
		}
	}
	return out
}

// rsCreate is the ReplicaSet controller creating a pod of the current
// revision.
func (s *sim) rsCreate(d *deployment) *pod {
	p := s.newPod(d.rs.rev, d.ns)
	p.dep = d
	s.createPod(p, s.w.users.replicaSet, "")
	return p
}

// rollout replaces a deployment's pods with a new revision, one at a
// time: a new pod starts, and once it is up an old one is deleted.
func (s *sim) rollout(d *deployment) {
	if d.rolling || d.ns.deleting || d.ns.gone {
		return
	}
	var old []*pod
	for _, p := range d.pods {
		if p.deletion.IsZero() {
			old = append(old, p)
		}
	}
	d.rolling = true
	s.newRevision(d)
	step := 0
	var next func()
	next = func() {
		if d.ns.deleting {
			d.rolling = false
			return
		}
		if step < d.replicas {
			s.rsCreate(d)
		}
		if step < len(old) {
			victim := old[step]
			s.after(s.rnd.between(9*time.Second, 16*time.Second), func() {
				if !d.ns.deleting {
					s.deletePod(victim, s.w.users.replicaSet, deleteOptionsPlain)
				}
			})
		}
		step++
		if step < max(d.replicas, len(old)) {
			s.after(s.rnd.between(10*time.Second, 20*time.Second), next)
			return
		}
		d.rolling = false
	}
	next()
}

// restartPod is a person deleting a running pod (to restart it), or the
// cluster autoscaler evicting it from a node it scales down; the
// ReplicaSet controller creates a replacement at once.
func (s *sim) restartPod(d *deployment, by *user) {
	var running []*pod
	for _, p := range d.pods {
		if p.ready() {
			running = append(running, p)
		}
	}
	if len(running) == 0 || d.rolling {
		return
	}
	p := pick(s.rnd, running)
	if by == s.w.users.autoscaler {
		s.evictPod(p, by)
	} else {
		s.deletePod(p, by, deleteOptionsBackground)
	}
	s.after(s.rnd.between(10*time.Millisecond, 80*time.Millisecond), func() {
		if !d.ns.deleting {
			s.rsCreate(d)
		}
	})
}

// scale changes a deployment's replica count by one, as an autoscaler
// does, and the ReplicaSet controller follows.
func (s *sim) scale(d *deployment, up bool) {
	if d.rolling || d.ns.deleting {
		return
	}
	if up {
		d.replicas++
		s.rsCreate(d)
		return
	}
	if d.replicas <= 1 {
		return
	}
	for i := len(d.pods) - 1; i >= 0; i-- {
		if p := d.pods[i]; p.ready() {
			d.replicas--
			s.deletePod(p, s.w.users.replicaSet, deleteOptionsPlain)
			return
		}
	}
}

// podChurn is one piece of everyday pod activity: a restart, a scale
// step, or now and then a rollout.
func (s *sim) podChurn() {
	ds := s.liveDeployments()
	if len(ds) == 0 {
		return
	}
	d := pick(s.rnd, ds)
	switch x := s.rnd.intn(100); {
	case x < 12:
		s.rollout(d)
	case x < 22:
		s.scale(d, d.replicas <= s.opts.ReplicasPerDeployment)
	case x < 70:
		s.restartPod(d, s.w.users.autoscaler)
	default:
		s.restartPod(d, pick(s.rnd, []*user{s.w.users.alice, s.w.users.carol}))
	}
}

// debugPod is a person running a throwaway pod with kubectl run and
// deleting it a little later.
func (s *sim) debugPod(ns *namespace, by *user) {
	name := "debug-" + s.rnd.suffix(5)
	rev := s.newRev(revInput{
		shape: podSpec{command: []string{"sleep", "3600"}, jobPod: true, manager: "kubectl-run"},
		app:   name, ns: ns.m.name, image: "docker.io/library/busybox:1.36", sa: "default",
		name: name, labels: labelsOf("run", name),
	})
	p := s.newPod(rev, ns)
	s.createPod(p, by, "fieldManager=kubectl-run&fieldValidation=Strict")
	s.after(s.rnd.between(10*time.Minute, 40*time.Minute), func() {
		if !p.gone {
			s.deletePod(p, by, deleteOptionsBackground)
		}
	})
}
