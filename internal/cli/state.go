package cli

import (
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
	"github.com/evident-dev/evident/internal/timespec"
)

func newStateCmd(e *env) *cobra.Command {
	var at, cluster string
	var resources, namespaces []string
	cmd := &cobra.Command{
		Use:   "state --at TIME [--resource R]",
		Short: "The objects alive at a point in time",
		Long: `List the tracked objects (pods, namespaces, service accounts, endpoints, Kubernetes
and Calico policies, network sets, tiers, host endpoints) that existed at --at,
each in the version current at that time, as reconstructed from the audit trail.
Objects created before auditing began are known only from an imported snapshot.
-o json and -o yaml print a List of the objects themselves.`,
		Example: `  evident state --at 2026-11-20T09:00:00Z --resource networkpolicies
  evident state --at now-7d -n payroll -o yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := e.requireFormat("table", "json", "yaml"); err != nil {
				return err
			}
			if at == "" {
				return usagef("--at is required (RFC 3339, or now-<N>{s,m,h,d})")
			}
			t, err := timespec.Parse(at, e.now())
			if err != nil {
				return usagef("--at: %v", err)
			}
			q := store.VersionQuery{Clusters: []string{cluster}, Namespaces: namespaces, WithObject: e.output != "table"}
			for _, r := range resources {
				kinds := audit.ParseKind(r)
				if len(kinds) == 0 {
					return usagef("--resource %q is not a tracked kind", r)
				}
				q.Kinds = append(q.Kinds, kinds...)
			}
			src, err := e.auditSource(cmd.Context())
			if err != nil {
				return err
			}
			defer src.Close()
			var vs []store.Version
			for v, err := range src.StateAt(cmd.Context(), t, q) {
				if err != nil {
					return err
				}
				vs = append(vs, v)
			}
			sort.Slice(vs, func(i, j int) bool {
				a, b := vs[i], vs[j]
				if a.Kind.String() != b.Kind.String() {
					return a.Kind.String() < b.Kind.String()
				}
				if a.Namespace != b.Namespace {
					return a.Namespace < b.Namespace
				}
				return a.Name < b.Name
			})
			return printState(e, t, vs)
		},
	}
	f := cmd.Flags()
	f.StringVar(&at, "at", "", "the point in time (RFC 3339, or now-<N>{s,m,h,d})")
	f.StringSliceVar(&resources, "resource", nil, "only these kinds (repeatable)")
	f.StringSliceVarP(&namespaces, "namespace", "n", nil, "only these namespaces")
	f.StringVar(&cluster, "cluster", "default", "cluster")
	return cmd
}

func printState(e *env, at time.Time, vs []store.Version) error {
	if e.output == "json" || e.output == "yaml" {
		items := make([]rawJSON, 0, len(vs))
		for _, v := range vs {
			if len(v.Object) > 0 {
				items = append(items, rawJSON(v.Object))
			}
		}
		list := map[string]any{"kind": "List", "apiVersion": "v1", "metadata": map[string]any{}, "items": items}
		if e.output == "yaml" {
			return writeYAML(e.Out, list)
		}
		return writeJSON(e.Out, list)
	}
	t := newTable(e.Out, "KIND", "NAMESPACE", "NAME", "SINCE", "BY", "VERB")
	for _, v := range vs {
		t.row(v.Kind.String(), v.Namespace, v.Name, v.Time.Format(time.RFC3339), v.User, v.Verb)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.Err, "%d objects alive at %s\n", len(vs), at.Format(time.RFC3339))
	return nil
}
