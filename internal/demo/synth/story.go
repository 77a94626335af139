package synth

import (
	"time"
)

// schedule plans the history: the daily routine, CronJob runs, the story
// events at fixed points of the period, and in volume mode the filler that
// brings the event count up to Options.Events.
func (s *sim) schedule() {
	s.scheduleCronJobs()
	day := s.opts.Start
	var plan func()
	plan = func() {
		s.planDay(day)
		day = day.Add(24 * time.Hour)
		s.at(day, plan)
	}
	s.at(day, plan)
	s.scheduleStory()
	if s.limit > 0 {
		s.at(s.opts.Start.Add(time.Minute), s.fill)
	}
}

// workingTime returns a random time in working hours of the day.
func (s *sim) workingTime(day time.Time) time.Time {
	return day.Add(8*time.Hour + s.rnd.between(0, 10*time.Hour+30*time.Minute))
}

// planDay schedules one day's routine: people's policy changes in working
// hours (few at weekends), Argo CD syncs, rollouts, restarts and
// autoscaling.
func (s *sim) planDay(day time.Time) {
	weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
	edits, rollouts := 3+s.rnd.intn(7), 0
	if weekend {
		edits = s.rnd.intn(2)
	}
	for range edits {
		s.at(s.workingTime(day), func() { s.personPolicyWrite() })
	}
	for range 1 + s.rnd.intn(4) {
		s.at(day.Add(s.rnd.between(0, 24*time.Hour)), func() { s.argoSync() })
	}
	for _, d := range s.liveDeployments() {
		if s.rnd.chance(0.2) && !weekend && rollouts < 40 {
			rollouts++
			s.at(s.workingTime(day), func() { s.rollout(d) })
		}
	}
	pods := 0
	for _, ns := range s.w.namespaces {
		pods += len(ns.pods)
	}
	for range 1 + pods/60 {
		s.at(day.Add(s.rnd.between(0, 24*time.Hour)), func() {
			ds := s.liveDeployments()
			if len(ds) == 0 {
				return
			}
			d := pick(s.rnd, ds)
			switch s.rnd.intn(4) {
			case 0:
				s.scale(d, d.replicas <= s.opts.ReplicasPerDeployment)
			case 1:
				s.restartPod(d, s.w.users.autoscaler)
			default:
				s.restartPod(d, pick(s.rnd, []*user{s.w.users.alice, s.w.users.carol}))
			}
		})
	}
}

// personPolicyWrite is one change by a person (not the GitOps
// controller).
func (s *sim) personPolicyWrite() {
	if s.rnd.chance(0.25) {
		s.randomPolicyWrite() // labels, debug policies, the odd denial or conflict
		return
	}
	for range 5 {
		o := pick(s.rnd, s.w.objects)
		if o.owner == s.w.users.argocd {
			continue
		}
		if s.rnd.chance(0.15) {
			s.labelObject(o, pick(s.rnd, s.people()))
		} else {
			s.editObject(o, o.owner)
		}
		return
	}
	s.randomPolicyWrite()
}

// argoSync is Argo CD applying a change merged in Git to one of its
// objects.
func (s *sim) argoSync() {
	var mine []*object
	for _, o := range s.w.objects {
		if o.owner == s.w.users.argocd {
			mine = append(mine, o)
		}
	}
	if len(mine) > 0 {
		s.editObject(pick(s.rnd, mine), s.w.users.argocd)
	}
}

// fill is volume mode's driver: each step is a policy write or a piece of
// pod churn, keeping policy writes near a fifth of all events, spaced so
// that the requested count lands near the end of the period.
func (s *sim) fill() {
	if s.stopped {
		return
	}
	if float64(s.policyEvents) < 0.2*float64(s.events) {
		s.randomPolicyWrite()
	} else {
		s.podChurn()
	}
	s.fillSteps++
	perStep := float64(s.events+1) / float64(s.fillSteps)
	remaining := float64(s.limit-s.events) / perStep
	gap := time.Second
	if left := s.until.Sub(s.clock); left > 0 && remaining > 1 {
		gap = time.Duration(float64(left) / remaining)
	}
	s.after(s.rnd.exp(gap), s.fill)
}

// storyTime returns the time a fraction of the way through the period,
// mapped into that day's working hours.
func (s *sim) storyTime(frac float64) time.Time {
	t := s.opts.Start.Add(time.Duration(frac * float64(s.opts.Duration)))
	day := t.Truncate(24 * time.Hour)
	return day.Add(9*time.Hour + t.Sub(day)*9/24)
}

// scheduleStory places the memorable events of the history.
func (s *sim) scheduleStory() {
	u, k := &s.w.users, s.w.k
	story := func(frac float64, fn func()) { s.at(s.storyTime(frac), fn) }

	// Every kind is changed at least once, whatever the seed.
	edit := func(frac float64, kind *kindInfo, ns, name string, by *user) {
		story(frac, func() {
			if o := s.w.lookup(kind, ns, name); o != nil {
				s.editObject(o, by)
			}
		})
	}
	edit(0.08, k.stagedGlobalPolicy, "", "security.staged-deny-egress", u.bob)
	edit(0.12, k.stagedK8sPolicy, "dev", "restrict-dev", u.carol)
	edit(0.14, k.networkSet, "payable", "payment-processors", u.argocd)
	edit(0.30, k.globalNetworkSet, "", "google-dns", u.bob)
	edit(0.36, k.tier, "", "platform", u.alice)

	// carol opens the cart service to everything to debug it; alice closes
	// it again days later.
	story(0.17, func() {
		if o := s.w.lookup(k.networkPolicy, "storefront", "allow-cart-from-web"); o != nil {
			o.spec.set("ingress", arr(obj()))
			s.patchObject(o, u.carol, "kubectl-patch", patchBody(o, []string{"ingress"}, nil), o.specPaths("ingress"), true)
		}
	})
	story(0.27, func() {
		if o := s.w.lookup(k.networkPolicy, "storefront", "allow-cart-from-web"); o != nil {
			o.spec.set("ingress", arr(npRule(false, []*node{npPort("TCP", 8080)}, npPods("app", "web"))))
			s.patchObject(o, u.alice, "kubectl-patch", patchBody(o, []string{"ingress"}, nil), o.specPaths("ingress"), true)
		}
	})
	// mallory probes: deleting the cluster's default deny, weakening
	// payable's, creating a namespace. All denied.
	story(0.23, func() {
		s.forbidden("delete", u.mallory, k.globalPolicy, "", "security.default-deny", "")
		s.clock = s.last.Add(40 * time.Second)
		s.forbidden("patch", u.mallory, k.networkPolicy, "payable", "default-deny", "fieldManager=kubectl-patch")
		s.clock = s.last.Add(2 * time.Minute)
		s.forbidden("create", u.mallory, k.namespace, "", "", "fieldManager=kubectl-create&fieldValidation=Strict")
		s.clock = s.last.Add(time.Minute)
		s.forbidden("delete", u.mallory, k.pod, "payroll", s.anyPodName("payroll"), "")
	})
	story(0.45, func() {
		s.forbidden("patch", u.carol, k.globalPolicy, "", "security.default-deny", "fieldManager=kubectl-edit&fieldValidation=Strict")
	})
	s.scheduleLaterStory(story)
}

// scheduleLaterStory places the story events of the second half.
func (s *sim) scheduleLaterStory(story func(float64, func())) {
	u, k := &s.w.users, s.w.k
	story(0.33, func() {
		if ds := s.namespace("payroll"); ds != nil && len(ds.deployments) > 0 {
			s.restartPod(ds.deployments[0], u.alice)
		}
	})
	story(0.40, func() { s.reportingNamespace() })
	story(0.50, func() {
		if ns := s.namespace("sandbox"); ns != nil {
			s.deleteNamespace(ns, u.alice)
		}
	})
	// bob creates a policy that exists, then replaces one with a stale
	// copy and retries.
	story(0.55, func() {
		if o := s.w.lookup(k.globalPolicy, "", "security.block-threat-feeds"); o != nil {
			s.alreadyExists(o, u.bob)
			s.clock = s.last.Add(3 * time.Minute)
			o.spec.set("order", num(5))
			s.conflict(o, u.bob, o.m.rv-7, o.spec)
			s.clock = s.last.Add(20 * time.Second)
			s.updateObject(o, u.bob, o.specPaths("order"))
		}
	})
	// bob promotes the staged checkout policy to an enforced one.
	story(0.62, func() {
		if st := s.w.lookup(k.stagedPolicy, "storefront", "platform.tighten-checkout"); st != nil {
			spec := st.spec.clone()
			spec.del("stagedAction")
			s.createObject(s.newObject(k.calicoPolicy, st.ns, st.m.name, spec, u.bob), u.bob, true)
			s.clock = s.last.Add(time.Minute)
			s.deleteObject(st, u.bob)
		}
	})
	story(0.70, func() {
		if len(s.w.hosts) > 2 {
			h := s.w.hosts[2]
			o := s.newObject(k.hostEndpoint, nil, h.name+"-eth0", hostEndpointSpec(h), u.alice)
			o.m.labels = labelsOf("host-endpoint", "ingress", "node-role", "edge")
			s.createObject(o, u.alice, true)
		}
	})
	story(0.78, func() {
		s.createObject(s.newObject(k.tier, nil, "app-team", tierSpec(300), u.bob), u.bob, true)
		s.clock = s.last.Add(5 * time.Minute)
		gns := s.newObject(k.globalNetworkSet, nil, "partner-acme", netsSpec("203.0.113.64/26"), u.bob)
		gns.m.labels = labelsOf("partner", "acme")
		s.createObject(gns, u.bob, true)
	})
	story(0.85, func() {
		if ns := s.namespace("dev"); ns != nil {
			s.debugPod(ns, u.carol)
		}
	})
	// Argo CD prunes a renamed policy and creates its replacement.
	story(0.92, func() {
		if o := s.w.lookup(k.networkPolicy, "payable", "allow-ledger-from-invoices"); o != nil {
			n := s.newObject(k.networkPolicy, o.ns, "allow-ledger-from-invoices-v2", o.spec.clone(), u.argocd)
			s.createObject(n, u.argocd, true)
			s.clock = s.last.Add(2 * time.Second)
			s.deleteObject(o, u.argocd)
		}
	})
}

// anyPodName names a pod of a namespace (for requests that are denied).
func (s *sim) anyPodName(ns string) string {
	if n := s.namespace(ns); n != nil && len(n.pods) > 0 {
		return n.pods[0].name
	}
	return "payroll-api-0"
}

// reportingNamespace is alice setting up a new team namespace: the
// namespace, a service account, two workloads and Git-managed policies.
func (s *sim) reportingNamespace() {
	u, k := &s.w.users, s.w.k
	ns := s.createNamespace("reporting", "accounts", "prod", u.alice)
	s.clock = s.last.Add(3 * time.Minute)
	s.createServiceAccount(ns, "reporter", labelsOf("app", "report-builder"), u.alice)
	s.clock = s.last.Add(2 * time.Minute)
	replicas := max(1, s.opts.ReplicasPerDeployment)
	s.createDeployment(ns, "report-builder", "reporter", replicas)
	s.clock = s.last.Add(30 * time.Second)
	s.createDeployment(ns, "report-api", "default", replicas)
	s.after(10*time.Minute, func() {
		s.createObject(s.newObject(k.networkPolicy, ns, "default-deny", npSpec(selector(), nil, nil, "Ingress", "Egress"), u.argocd), u.argocd, true)
		s.clock = s.last.Add(time.Second)
		s.createObject(s.newObject(k.networkPolicy, ns, "allow-from-accounts", npSpec(selector("app", "report-api"),
			[]*node{npRule(false, []*node{npPort("TCP", 8080)}, npNamespaces("department", "accounts"))}, nil), u.argocd), u.argocd, true)
	})
}
