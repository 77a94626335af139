package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/objdiff"
	"github.com/evident-dev/evident/internal/store"
)

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// resolveObject finds the kind a user named and the object's history; a
// name shared by two groups (networkpolicies) is resolved by which one has
// the object.
func resolveHistory(ctx context.Context, src auditSource, cluster, resource, ref, namespace string) (audit.Kind, []store.Version, error) {
	kinds := audit.ParseKind(resource)
	if len(kinds) == 0 {
		var names []string
		for _, k := range audit.Tracked() {
			names = append(names, k.String())
		}
		return audit.Kind{}, nil, usagef("%q is not a tracked kind; tracked: %s", resource, strings.Join(names, ", "))
	}
	ns, name, hasNS := strings.Cut(ref, "/")
	if !hasNS {
		ns, name = namespace, ref
	}
	if name == "" {
		return audit.Kind{}, nil, usagef("no object name given")
	}
	type hit struct {
		kind     audit.Kind
		versions []store.Version
	}
	var hits []hit
	for _, k := range kinds {
		objNS := ns
		if !k.Namespaced() {
			objNS = ""
		} else if objNS == "" {
			objNS = "default"
		}
		vs, err := src.History(ctx, store.ObjectKey{Cluster: cluster, Kind: k, Namespace: objNS, Name: name})
		if err != nil {
			return audit.Kind{}, nil, err
		}
		if len(vs) > 0 {
			hits = append(hits, hit{k, vs})
		}
	}
	switch len(hits) {
	case 0:
		return kinds[0], nil, fmt.Errorf("no recorded versions of %s %s in cluster %q (only successful writes seen in the audit trail are recorded)",
			resource, ref, cluster)
	case 1:
		return hits[0].kind, hits[0].versions, nil
	}
	var names []string
	for _, h := range hits {
		names = append(names, h.kind.String())
	}
	return audit.Kind{}, nil, usagef("%q is ambiguous: both %s have %s; name the group, e.g. %s", resource, strings.Join(names, " and "), ref, names[0])
}

func newChangelogCmd(e *env) *cobra.Command {
	var cluster, namespace string
	var withObjects bool
	cmd := &cobra.Command{
		Use:   "changelog RESOURCE [NAMESPACE/]NAME",
		Short: "Every recorded version of one object, with who changed what",
		Long: `Show every version of one object recorded from the audit trail, oldest first:
when, who, the verb and response code, and a diff of its labels, annotations and
spec against the version before (server-maintained fields and status are left out).
RESOURCE is a tracked kind: pods, namespaces, serviceaccounts, endpoints,
networkpolicies (Kubernetes or Calico), globalnetworkpolicies, networksets, ...;
add the group to choose (networkpolicies.networking.k8s.io).`,
		Example: `  evident changelog networkpolicies dev/allow-frontend
  evident changelog globalnetworkpolicies default-deny -o yaml
  evident changelog networkpolicies.projectcalico.org payroll/platform.allow-dns`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := e.requireFormat("table", "json", "yaml"); err != nil {
				return err
			}
			src, err := e.auditSource(cmd.Context())
			if err != nil {
				return err
			}
			defer src.Close()
			kind, versions, err := resolveHistory(cmd.Context(), src, cluster, args[0], args[1], namespace)
			if err != nil {
				return err
			}
			log, err := objdiff.Changelog(versions, withObjects || e.output != "table")
			if err != nil {
				return err
			}
			switch e.output {
			case "json":
				return writeJSON(e.Out, log)
			case "yaml":
				return writeYAML(e.Out, log)
			}
			return printChangelog(e, kind, versions[0], log)
		},
	}
	cmd.Flags().StringVar(&cluster, "cluster", "default", "cluster the object belongs to")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace (default \"default\"; or write NAMESPACE/NAME)")
	cmd.Flags().BoolVar(&withObjects, "objects", false, "include each version's full object (json and yaml always do)")
	return cmd
}

func printChangelog(e *env, kind audit.Kind, first store.Version, log []objdiff.Entry) error {
	name := first.Name
	if first.Namespace != "" {
		name = first.Namespace + "/" + name
	}
	fmt.Fprintf(e.Out, "%s %s: %d versions\n", kind.String(), name, len(log))
	for _, c := range log {
		what := c.Verb
		switch {
		case c.Cascade:
			what = "deleted with its namespace (" + c.Verb + " by " + c.User + ")"
		case c.Deleted:
			what = "deleted (" + c.Verb + ")"
		case c.Baseline:
			what = "listed in a baseline snapshot (" + c.User + ")"
		}
		code := ""
		if c.Code != 0 {
			code = " " + strconv.Itoa(c.Code)
		}
		rv := ""
		if c.ResourceVersion != "" {
			rv = "  resourceVersion " + c.ResourceVersion
		}
		fmt.Fprintf(e.Out, "\n%s  %s  %s%s%s\n", c.Time.Format(time.RFC3339), c.User, what, code, rv)
		for _, l := range c.Diff {
			fmt.Fprintf(e.Out, "  %c %s\n", l.Op, l.Text)
		}
	}
	return nil
}
