package synth

import (
	"errors"
	"fmt"
	"time"
)

// Options shape a synthetic history. Zero values take the defaults noted.
type Options struct {
	// Seed determines everything: the same options give byte-identical
	// output.
	Seed int64
	// Start is the beginning of the history (default 2026-01-05T00:00:00Z).
	// The baseline describes the cluster at Start; events follow it.
	Start time.Time
	// Duration is the length of the history (default 30 days).
	Duration time.Duration

	// Namespaces is the number of generated application namespaces, in
	// addition to the fixed ones (kube-system, argocd, payable,
	// collections, payroll, widgets, storefront, dev, sandbox).
	Namespaces int
	// DeploymentsPerNamespace is the number of Deployments in each
	// application namespace (default 3).
	DeploymentsPerNamespace int
	// ReplicasPerDeployment is the number of pods of each Deployment
	// (default 2).
	ReplicasPerDeployment int
	// Policies is the number of network policies across all policy kinds
	// (Kubernetes NetworkPolicy, Calico NetworkPolicy and
	// GlobalNetworkPolicy, staged policies). The named policies of the
	// history are always present; generated ones make up the rest
	// (default 40).
	Policies int

	// OmitManagedFields leaves metadata.managedFields out of request and
	// response objects, as an audit policy with omitManagedFields: true
	// makes the API server do. It makes events about a third smaller.
	OmitManagedFields bool

	// Events, when positive, is volume mode: the history goes on (past
	// Duration if it must) until exactly this many events are written,
	// with about a fifth of them policy writes and most of the rest pod
	// lifecycle and status writes.
	Events int
}

// Limits of a history.
const (
	maxPods     = 250_000
	maxPolicies = 100_000
)

// Demo is the preset of `evident demo`: a few hundred pods in 17
// namespaces, about 40 policies of every kind, and days of history.
func Demo(seed int64, start time.Time, days int) Options {
	return Options{
		Seed: seed, Start: start, Duration: time.Duration(days) * 24 * time.Hour,
		Namespaces: 8, DeploymentsPerNamespace: 4, ReplicasPerDeployment: 4, Policies: 40,
	}
}

// Volume is a preset for ingest and query benchmarks: a mid-sized
// cluster (about 1,000 pods, 400 policies), an audit policy that omits
// managed fields, and the given number of events, about 3 KB each on
// average.
func Volume(seed int64, start time.Time, events int) Options {
	return Options{
		Seed: seed, Start: start, Duration: 30 * 24 * time.Hour,
		Namespaces: 150, DeploymentsPerNamespace: 6, ReplicasPerDeployment: 1, Policies: 400,
		OmitManagedFields: true, Events: events,
	}
}

// Large is a preset for report benchmarks: about 10,000 endpoints and
// 1,000 policies.
func Large(seed int64, start time.Time, days int) Options {
	return Options{
		Seed: seed, Start: start, Duration: time.Duration(days) * 24 * time.Hour,
		Namespaces: 94, DeploymentsPerNamespace: 10, ReplicasPerDeployment: 10, Policies: 1000,
	}
}

// withDefaults fills in zero values and checks the options.
func (o Options) withDefaults() (Options, error) {
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	}
	o.Start = o.Start.UTC()
	if o.Duration == 0 {
		o.Duration = 30 * 24 * time.Hour
	}
	if o.DeploymentsPerNamespace == 0 {
		o.DeploymentsPerNamespace = 3
	}
	if o.ReplicasPerDeployment == 0 {
		o.ReplicasPerDeployment = 2
	}
	if o.Policies == 0 {
		o.Policies = 40
	}
	var errs []error
	if o.Duration < time.Hour {
		errs = append(errs, fmt.Errorf("duration %v is shorter than an hour", o.Duration))
	}
	if o.Namespaces < 0 || o.DeploymentsPerNamespace < 0 || o.ReplicasPerDeployment < 0 || o.Policies < 0 || o.Events < 0 {
		errs = append(errs, errors.New("counts must not be negative"))
	}
	if pods := (o.Namespaces + 6) * o.DeploymentsPerNamespace * o.ReplicasPerDeployment; pods > maxPods {
		errs = append(errs, fmt.Errorf("%d pods is more than the limit of %d", pods, maxPods))
	}
	if o.Policies > maxPolicies {
		errs = append(errs, fmt.Errorf("%d policies is more than the limit of %d", o.Policies, maxPolicies))
	}
	if o.Start.Year() < 2001 || o.Start.Year() > 9000 {
		errs = append(errs, fmt.Errorf("start %v is out of range", o.Start))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("synth options: %w", err)
	}
	return o, nil
}
