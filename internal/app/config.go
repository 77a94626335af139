package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/evident-dev/evident/internal/timespec"
)

// Config is evident.yaml. Every field has a default and the file itself is
// optional; relative paths are relative to the file.
type Config struct {
	Cluster   string   `json:"cluster,omitempty"`
	Listen    string   `json:"listen,omitempty"`
	Store     Store    `json:"store,omitempty"`
	Retention Duration `json:"retention,omitempty"`
	Sources   []Source `json:"sources,omitempty"`
	Auth      Auth     `json:"auth,omitempty"`
	Reports   Reports  `json:"reports,omitempty"`
	Resources string   `json:"resources,omitempty"`
	TLS       *TLS     `json:"tls,omitempty"`
	// SecureCookies marks the dashboard's session cookie Secure on plain
	// HTTP too (behind a TLS-terminating proxy).
	SecureCookies bool      `json:"secureCookies,omitempty"`
	Limits        Limits    `json:"limits,omitempty"`
	dir           string    // the config file's directory
	explicit      fieldsSet // which top-level fields the file set
}

// Store says where evidence is kept.
type Store struct {
	Path     string `json:"path,omitempty"`     // embedded store directory
	Postgres string `json:"postgres,omitempty"` // postgres://... (not available in this version)
}

// Source is one audit source; exactly one field is set.
type Source struct {
	File             *FileSource    `json:"file,omitempty"`
	Webhook          *WebhookSource `json:"webhook,omitempty"`
	EKSCloudwatchLog *EKSSource     `json:"eksCloudwatchLog,omitempty"`
}

// FileSource tails an audit log file.
type FileSource struct {
	Path    string `json:"path"`
	Cluster string `json:"cluster,omitempty"`
}

// WebhookSource accepts the audit webhook backend for a cluster.
type WebhookSource struct {
	Cluster string `json:"cluster,omitempty"`
}

// EKSSource reads EKS audit logs from CloudWatch Logs.
type EKSSource struct {
	Region        string `json:"region"`
	GroupName     string `json:"groupName"`
	StreamPrefix  string `json:"streamPrefix,omitempty"`
	FetchInterval int    `json:"fetchInterval,omitempty"`
}

// Auth configures authentication and authorisation.
type Auth struct {
	TokensFile string   `json:"tokensFile,omitempty"`
	RBACFiles  []string `json:"rbacFiles,omitempty"`
	Kubeconfig string   `json:"kubeconfig,omitempty"`
}

// Reports configures the report scheduler.
type Reports struct {
	JobStartDelay            Duration `json:"jobStartDelay,omitempty"`
	MaxActiveJobs            int      `json:"maxActiveJobs,omitempty"`
	MaxFailedJobsHistory     int      `json:"maxFailedJobsHistory,omitempty"`
	MaxSuccessfulJobsHistory int      `json:"maxSuccessfulJobsHistory,omitempty"`
	MaxJobRetries            int      `json:"maxJobRetries,omitempty"`
	CatchUpWindow            Duration `json:"catchUpWindow,omitempty"`
	IncludeStagedPolicies    bool     `json:"includeStagedPolicies,omitempty"`
}

// TLS serves HTTPS.
type TLS struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

// Limits bound what one request may send.
type Limits struct {
	MaxWebhookBody int64 `json:"maxWebhookBody,omitempty"` // bytes; default 32 MiB
	MaxEventSize   int   `json:"maxEventSize,omitempty"`   // bytes; default 4 MiB
}

type fieldsSet map[string]bool

// Duration is a Go duration ("30m", "8760h") or whole days ("365d").
type Duration struct{ time.Duration }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as 30m, 8760h or 365d, got %s", b)
	}
	v, err := timespec.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Duration.String()) }

// InCluster as auth.kubeconfig uses the pod's service account.
const InCluster = "in-cluster"

// Defaults of the configuration.
const (
	DefaultListen    = "127.0.0.1:8080"
	DefaultStorePath = "./evident-data"
	DefaultRetention = 8760 * time.Hour
)

// LoadConfig reads a configuration file; path "" gives the defaults.
// Unknown fields and bad values are errors naming the field.
func LoadConfig(path string) (*Config, error) {
	c := &Config{explicit: fieldsSet{}}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := yaml.UnmarshalStrict(raw, c); err != nil {
			return nil, fmt.Errorf("config %s: %s", path, strings.TrimPrefix(err.Error(), "error unmarshaling JSON: while decoding JSON: "))
		}
		var top map[string]any
		if err := yaml.Unmarshal(raw, &top); err == nil {
			for k := range top {
				c.explicit[k] = true
			}
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		c.dir = filepath.Dir(abs)
	} else {
		wd, _ := os.Getwd()
		c.dir = wd
	}
	if err := c.defaultAndValidate(); err != nil {
		if path != "" {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// path resolves a path relative to the config file.
func (c *Config) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return filepath.Join(c.dir, p)
}

func (c *Config) defaultAndValidate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Cluster == "" {
		c.Cluster = "default"
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port (%v)", c.Listen, err)
	}
	switch {
	case c.Store.Postgres != "":
		bad("store.postgres", "the PostgreSQL store is not available in this version; use store.path")
	case c.Store.Path == "":
		c.Store.Path = DefaultStorePath
	}
	c.Store.Path = c.path(c.Store.Path)
	if c.Retention.Duration == 0 {
		c.Retention.Duration = DefaultRetention
	} else if c.Retention.Duration < 24*time.Hour {
		bad("retention", "%v is less than a day", c.Retention.Duration)
	}
	if !c.explicit["sources"] {
		c.Sources = []Source{{Webhook: &WebhookSource{}}}
	}
	seenCluster := map[string]bool{}
	for i, s := range c.Sources {
		field := fmt.Sprintf("sources[%d]", i)
		n := 0
		if s.File != nil {
			n++
			if s.File.Path == "" {
				bad(field+".file.path", "required")
			}
			s.File.Path = c.path(s.File.Path)
			if s.File.Cluster == "" {
				s.File.Cluster = c.Cluster
			}
		}
		if s.Webhook != nil {
			n++
			if s.Webhook.Cluster == "" {
				s.Webhook.Cluster = c.Cluster
			}
			if seenCluster[s.Webhook.Cluster] {
				bad(field+".webhook.cluster", "%q has two webhook sources", s.Webhook.Cluster)
			}
			seenCluster[s.Webhook.Cluster] = true
		}
		if s.EKSCloudwatchLog != nil {
			n++
			bad(field+".eksCloudwatchLog", "the CloudWatch source is not available in this version; "+
				"import CloudWatch exports with evident ingest (see evident audit-policy --platform eks)")
		}
		if n != 1 {
			bad(field, "set exactly one of file, webhook, eksCloudwatchLog")
		}
	}
	a := &c.Auth
	a.TokensFile = c.path(a.TokensFile)
	if a.Kubeconfig != InCluster {
		a.Kubeconfig = c.path(a.Kubeconfig)
	}
	for i := range a.RBACFiles {
		a.RBACFiles[i] = c.path(a.RBACFiles[i])
	}
	switch {
	case a.Kubeconfig != "" && (a.TokensFile != "" || len(a.RBACFiles) > 0):
		bad("auth", "use either kubeconfig (TokenReview and SubjectAccessReview) or tokensFile and rbacFiles, not both")
	case a.Kubeconfig == "" && a.TokensFile == "":
		bad("auth", "configure tokensFile (with rbacFiles) or kubeconfig: every request must authenticate")
	}
	r := &c.Reports
	if r.JobStartDelay.Duration < 0 {
		bad("reports.jobStartDelay", "negative")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"maxActiveJobs", r.MaxActiveJobs}, {"maxFailedJobsHistory", r.MaxFailedJobsHistory},
		{"maxSuccessfulJobsHistory", r.MaxSuccessfulJobsHistory}, {"maxJobRetries", r.MaxJobRetries}} {
		if f.v < 0 {
			bad("reports."+f.name, "negative")
		}
	}
	if c.Resources != "" {
		c.Resources = c.path(c.Resources)
	}
	if c.TLS != nil {
		if c.TLS.CertFile == "" || c.TLS.KeyFile == "" {
			bad("tls", "set both certFile and keyFile")
		}
		c.TLS.CertFile, c.TLS.KeyFile = c.path(c.TLS.CertFile), c.path(c.TLS.KeyFile)
	}
	if c.Limits.MaxWebhookBody < 0 || c.Limits.MaxEventSize < 0 {
		bad("limits", "negative size")
	}
	return errors.Join(errs...)
}

// WebhookClusters lists the clusters of the webhook sources, the default
// cluster's first.
func (c *Config) WebhookClusters() []string {
	var out []string
	for _, s := range c.Sources {
		if s.Webhook != nil {
			if s.Webhook.Cluster == c.Cluster {
				out = append([]string{s.Webhook.Cluster}, out...)
			} else {
				out = append(out, s.Webhook.Cluster)
			}
		}
	}
	return out
}
