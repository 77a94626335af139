package cli

import (
	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/app"
)

func newServeCmd(e *env) *cobra.Command {
	var configPath, listen string
	cmd := &cobra.Command{
		Use:   "serve [--config evident.yaml]",
		Short: "Run the server: sources, scheduled reports, the HTTP API and the dashboard",
		Long: `Run Evident as a service: it follows the configured audit log files, receives the
kube-apiserver audit webhook at POST /ingest/v1/audit, produces the GlobalReports'
reports on their schedules, applies retention, and serves the HTTP API and the
dashboard. Every request but /healthz, /readyz and /version must authenticate.
The configuration file is described in docs/operations.md; without one, the
defaults apply (and auth must still be configured, so a file is usually needed).`,
		Example: `  evident serve --config /etc/evident/evident.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig(configPath)
			if err != nil {
				return err
			}
			if listen != "" {
				cfg.Listen = listen
			}
			if cmd.Flags().Changed("data") {
				cfg.Store.Path = e.dataDir
			}
			return app.Serve(cmd.Context(), app.Options{Config: cfg, Logger: e.logger,
				Version: app.Version{Version: Version}})
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (evident.yaml)")
	cmd.Flags().StringVar(&listen, "listen", "", "override the configured listen address")
	return cmd
}
