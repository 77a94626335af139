package cli

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/store"
)

// DefaultRetention is how long evidence is kept unless configured.
const DefaultRetention = 8760 * time.Hour

// silentAfter is how long a source may go without events before status
// flags it as a possible gap in the evidence.
const silentAfter = time.Hour

func newStatusCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "What the store holds: sources, rejected input, size, evidence gaps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := e.requireFormat("table", "json", "yaml"); err != nil {
				return err
			}
			st, err := e.openStoreRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			stats, err := st.Stats(cmd.Context())
			if err != nil {
				return err
			}
			switch e.output {
			case "json":
				return writeJSON(e.Out, statusView(stats, e.now()))
			case "yaml":
				return writeYAML(e.Out, statusView(stats, e.now()))
			}
			return printStatus(e, stats)
		},
	}
	return cmd
}

type sourceView struct {
	Source     string           `json:"source"`
	Events     int64            `json:"events"`
	LastEvent  *time.Time       `json:"lastEvent,omitempty"`
	LastIngest *time.Time       `json:"lastIngest,omitempty"`
	Rejected   map[string]int64 `json:"rejected,omitempty"`
	Recent     []string         `json:"recentRejections,omitempty"`
	Silent     string           `json:"silentFor,omitempty"`
}

type statusDoc struct {
	Events     int64             `json:"events"`
	Versions   int64             `json:"objectVersions"`
	Bytes      int64             `json:"bytes"`
	Oldest     *time.Time        `json:"oldestEvent,omitempty"`
	Newest     *time.Time        `json:"newestEvent,omitempty"`
	Retention  string            `json:"retention"`
	Rejected   int64             `json:"rejected"`
	Sources    []sourceView      `json:"sources"`
	Partitions []store.Partition `json:"partitions"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func statusView(s store.Stats, now time.Time) statusDoc {
	d := statusDoc{Events: s.Events, Versions: s.Versions, Bytes: s.Bytes, Oldest: timePtr(s.Oldest), Newest: timePtr(s.Newest),
		Retention: DefaultRetention.String(), Rejected: s.RejectTotal, Partitions: s.Partitions}
	for _, src := range s.Sources {
		v := sourceView{Source: src.Source, Events: src.Events, LastEvent: timePtr(src.LastEvent), LastIngest: timePtr(src.LastIngest)}
		if len(src.Rejected) > 0 {
			v.Rejected = map[string]int64{}
			for r, n := range src.Rejected {
				v.Rejected[string(r)] = n
			}
		}
		for _, r := range src.RecentErrors {
			v.Recent = append(v.Recent, r.At.Format(time.RFC3339)+" "+r.Location+": "+r.Message)
		}
		if strings.HasPrefix(src.Source, "webhook:") && !src.LastIngest.IsZero() && now.Sub(src.LastIngest) > silentAfter {
			v.Silent = now.Sub(src.LastIngest).Round(time.Minute).String()
		}
		d.Sources = append(d.Sources, v)
	}
	return d
}

func printStatus(e *env, s store.Stats) error {
	d := statusView(s, e.now())
	fmt.Fprintf(e.Out, "Store:      %s (%s, %d monthly partitions)\n", e.dataDir, byteSize(s.Bytes), len(s.Partitions))
	fmt.Fprintf(e.Out, "Events:     %d", s.Events)
	if !s.Oldest.IsZero() {
		fmt.Fprintf(e.Out, " from %s to %s", s.Oldest.Format(time.RFC3339), s.Newest.Format(time.RFC3339))
	}
	fmt.Fprintf(e.Out, "\nVersions:   %d object versions\n", s.Versions)
	if s.Events > 0 {
		fmt.Fprintf(e.Out, "Disk:       %d bytes per event\n", s.Bytes/s.Events)
	}
	fmt.Fprintf(e.Out, "Retention:  %s (applied by evident serve; whole months are dropped)\n", d.Retention)
	fmt.Fprintf(e.Out, "Rejected:   %d inputs\n\n", s.RejectTotal)
	t := newTable(e.Out, "SOURCE", "EVENTS", "LAST EVENT", "LAST DELIVERY", "REJECTED")
	var gaps []string
	for _, v := range d.Sources {
		var rej []string
		for r, n := range v.Rejected {
			rej = append(rej, fmt.Sprintf("%s:%d", r, n))
		}
		sort.Strings(rej)
		t.row(v.Source, fmt.Sprint(v.Events), fmtTime(v.LastEvent), fmtTime(v.LastIngest), strings.Join(rej, " "))
		if v.Silent != "" {
			gaps = append(gaps, fmt.Sprintf("%s has delivered nothing for %s", v.Source, v.Silent))
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	for _, v := range d.Sources {
		for _, r := range v.Recent {
			fmt.Fprintf(e.Out, "  rejected from %s: %s\n", v.Source, r)
		}
	}
	if len(gaps) > 0 {
		fmt.Fprintln(e.Out, "\nPossible evidence gaps:")
		for _, g := range gaps {
			fmt.Fprintln(e.Out, "  "+g)
		}
	}
	return nil
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}
