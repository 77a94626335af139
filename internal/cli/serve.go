package cli

import (
	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/app"
	"github.com/evident-dev/evident/internal/ingest"
)

func newServeCmd(e *env) *cobra.Command {
	opts := app.Options{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server: the audit webhook receiver",
		Long: `Run Evident as a service. It receives the kube-apiserver audit webhook backend's
batches at POST /ingest/v1/audit (bearer tokens from --tokens-file, in the
kube-apiserver --token-auth-file format: token,user,uid,"group1,group2") and stores
them, answering 200 only once a batch is durable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.DataDir, opts.Logger = e.dataDir, e.logger
			return app.Serve(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&opts.Cluster, "cluster", "default", "cluster name stamped on webhook events")
	f.StringVar(&opts.TokensFile, "tokens-file", "", "bearer tokens (token,user,uid,\"groups\" CSV)")
	f.Int64Var(&opts.MaxBodySize, "max-body-size", ingest.DefaultMaxBodySize, "largest webhook body accepted, in bytes")
	return cmd
}
