package cli

import (
	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/app"
)

// maxDemoDays bounds the demo's history at ten years.
const maxDemoDays = 3660

func newDemoCmd(e *env) *cobra.Command {
	opts := app.DemoOptions{}
	cmd := &cobra.Command{
		Use:   "demo [--listen ADDR] [--days N] [--data DIR]",
		Short: "See Evident on a synthetic cluster: history, reports and the dashboard",
		Long: `Build a synthetic cluster's history (namespaces, a few hundred pods with rollouts,
Kubernetes and Calico policies edited by several people and a GitOps controller, a
namespace deletion, denied requests) with its baseline snapshot, the example
GlobalReports of Calico's documentation and every report of the period, then serve
the dashboard and the API. It prints the URL and the demo users' tokens.

The data goes to --data (default ./evident-demo); running the demo again reuses it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Days < 1 || opts.Days > maxDemoDays {
				return usagef("--days %d: want 1 to %d", opts.Days, maxDemoDays)
			}
			opts.Out, opts.Logger = e.Out, e.logger
			if cmd.Flags().Changed("data") {
				opts.Dir = e.dataDir
			}
			return app.Demo(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "address to serve on")
	cmd.Flags().IntVar(&opts.Days, "days", 30, "days of history (1 to 3660)")
	opts.Dir = "./evident-demo"
	return cmd
}
