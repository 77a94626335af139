package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/evident-dev/evident/internal/snapshot"
	"github.com/evident-dev/evident/internal/timespec"
)

func newSnapshotCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Import or take baseline snapshots of the cluster's tracked objects",
		Long: `A baseline tells Evident which objects existed at a point in time, including those
created before auditing began. Reports start from the newest baseline at or before
their interval's start and replay the audit trail from there.`,
	}
	cmd.AddCommand(newSnapshotImportCmd(e), newSnapshotTakeCmd(e))
	return cmd
}

func newSnapshotImportCmd(e *env) *cobra.Command {
	var at, cluster, kind string
	cmd := &cobra.Command{
		Use:   "import [--at T] FILE...",
		Short: "Import `kubectl get <kind> -A -o json` List files as a baseline",
		Long: `Import kubectl List files (one kind or several per file) as the cluster's state at
--at (default: each file's modification time). Each object not already recorded in
the same version at that time becomes a version; each object of an imported kind
recorded as alive then but missing from the file is ended. Importing the same file
again changes nothing. An empty List names no kind: give it with --kind.`,
		Example: `  kubectl get pods,namespaces,serviceaccounts,endpoints,networkpolicies -A -o json > core.json
  evident snapshot import --at 2026-11-01T00:00:00Z core.json
  evident snapshot import --kind globalnetworkpolicies.projectcalico.org gnps.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, path := range args {
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				t := time.Time{}
				if at != "" {
					if t, err = timespec.Parse(at, e.now()); err != nil {
						return usagef("--at: %v", err)
					}
				} else if fi, err := os.Stat(path); err == nil {
					t = fi.ModTime().UTC()
				}
				parsed, err := snapshot.ParseList(filepath.Base(path), data, kind)
				if err != nil {
					return err
				}
				if len(parsed.Baselines) == 0 {
					fmt.Fprintf(e.Err, "%s: no tracked objects (an empty List needs --kind)\n", path)
				}
				for _, b := range parsed.Baselines {
					b.Cluster, b.Time, b.Source = cluster, t, "snapshot:"+filepath.Base(path)
					res, err := st.ImportBaseline(ctx, &b)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.Out, "%s: %s at %s: %d objects (%d new versions, %d unchanged, %d ended)\n",
						path, b.Kind, t.Format(time.RFC3339), len(b.Objects), res.Added, res.Unchanged, res.Ended)
				}
				printSkipped(e, path, parsed.Skipped)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "the time the listing shows (default: the file's modification time)")
	cmd.Flags().StringVar(&cluster, "cluster", "default", "cluster the listing is of")
	cmd.Flags().StringVar(&kind, "kind", "", "the kind of the objects (needed for an empty List)")
	return cmd
}

func printSkipped(e *env, path string, skipped map[string]int) {
	var kinds []string
	for k, n := range skipped {
		kinds = append(kinds, fmt.Sprintf("%s (%d)", k, n))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(e.Err, "%s: skipped untracked kind %s\n", path, k)
	}
}

func newSnapshotTakeCmd(e *env) *cobra.Command {
	var kubeconfig, kubecontext, cluster string
	cmd := &cobra.Command{
		Use:   "take [--kubeconfig PATH]",
		Short: "List every tracked kind from a live cluster and import it as a baseline",
		Long: `List pods, namespaces, service accounts, endpoints, networking.k8s.io NetworkPolicies
and the Calico kinds (through projectcalico.org/v3, or the crd.projectcalico.org
CRDs) from a cluster, and import each as a baseline at the time its listing
completed. Kinds the cluster does not serve are reported and skipped. The
credentials need get and list on those kinds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			if kubeconfig != "" {
				rules.ExplicitPath = kubeconfig
			}
			cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
				&clientcmd.ConfigOverrides{CurrentContext: kubecontext}).ClientConfig()
			if err != nil {
				return fmt.Errorf("kubeconfig: %w", err)
			}
			taken, err := snapshot.Take(ctx, cfg)
			if err != nil {
				return err
			}
			st, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, b := range taken.Baselines {
				b.Cluster, b.Source = cluster, "snapshot:"+cfg.Host
				res, err := st.ImportBaseline(ctx, &b)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "%s: %d objects (%d new versions, %d unchanged, %d ended)\n", b.Kind, len(b.Objects), res.Added, res.Unchanged, res.Ended)
			}
			for _, k := range taken.Missing {
				fmt.Fprintf(e.Err, "%s: not served by the cluster; skipped\n", k)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	cmd.Flags().StringVar(&kubecontext, "context", "", "kubeconfig context")
	cmd.Flags().StringVar(&cluster, "cluster", "default", "cluster name to record")
	return cmd
}
