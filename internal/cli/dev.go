package cli

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/demo/synth"
	"github.com/evident-dev/evident/internal/objdiff"
	"github.com/evident-dev/evident/internal/store"
)

// newDevCmd holds the tools behind BENCHMARKS.md: a generator of
// real-shaped audit events and a query-latency probe.
func newDevCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "dev",
		Short:  "Tools for benchmarks and development",
		Hidden: true,
	}
	cmd.AddCommand(newDevGenerateCmd(e), newDevQueryBenchCmd(e), newDevWebhookLoadCmd(e), newDevReportBenchCmd(e))
	return cmd
}

func newDevGenerateCmd(e *env) *cobra.Command {
	var events int
	var seed int64
	var start, out string
	cmd := &cobra.Command{
		Use:   "generate --events N [--out FILE]",
		Short: "Write N synthetic RequestResponse audit events (~3.3 KB each) as JSON lines",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := time.Parse(time.RFC3339, start)
			if err != nil {
				return usagef("--start: %v", err)
			}
			g, err := synth.New(synth.Volume(seed, t, events))
			if err != nil {
				return err
			}
			w := e.Out
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			bw := bufio.NewWriterSize(w, 1<<20)
			n, err := g.WriteEvents(cmd.Context(), bw)
			if err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			e.logger.Info("generated", "events", n)
			return nil
		},
	}
	cmd.Flags().IntVar(&events, "events", 1_000_000, "number of events")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed (the same seed gives the same events)")
	cmd.Flags().StringVar(&start, "start", "2026-01-05T00:00:00Z", "time of the first event")
	cmd.Flags().StringVar(&out, "out", "-", "output file (- for standard output)")
	return cmd
}

func newDevQueryBenchCmd(e *env) *cobra.Command {
	var n int
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "query-bench [--n 1000]",
		Short: "Measure timeline page and changelog latency on the store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := e.openStoreRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			stats, err := st.Stats(ctx)
			if err != nil {
				return err
			}
			if stats.Events == 0 {
				return fmt.Errorf("the store is empty")
			}
			// Sample real filter values from a few pages of the timeline.
			page, err := st.Events(ctx, store.EventQuery{Limit: 2000})
			if err != nil {
				return err
			}
			var users, namespaces, resources, names []string
			for _, ev := range page.Events {
				users, namespaces = append(users, ev.User), append(namespaces, ev.Namespace)
				resources, names = append(resources, ev.Resource), append(names, ev.Name)
			}
			span := stats.Newest.Sub(stats.Oldest)
			r := rand.New(rand.NewPCG(1, 2))
			pick := func(s []string) []string { return []string{s[r.IntN(len(s))]} }
			shapes := []func() store.EventQuery{
				func() store.EventQuery { return store.EventQuery{} },
				func() store.EventQuery { return store.EventQuery{Resources: pick(resources)} },
				func() store.EventQuery {
					return store.EventQuery{Namespaces: pick(namespaces), Verbs: []string{"patch"}}
				},
				func() store.EventQuery { return store.EventQuery{Users: pick(users)} },
				func() store.EventQuery { return store.EventQuery{Names: pick(names)} },
				func() store.EventQuery {
					to := stats.Oldest.Add(time.Duration(r.Int64N(int64(span) + 1)))
					return store.EventQuery{To: to, Resources: []string{"networkpolicies"}}
				},
				func() store.EventQuery { return store.EventQuery{Codes: []int{403}} },
			}
			var lat []time.Duration
			for i := range n {
				q := shapes[i%len(shapes)]()
				q.Limit = 100
				t0 := time.Now()
				if _, err := st.Events(ctx, q); err != nil {
					return err
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			fmt.Fprintf(e.Out, "timeline page (100 rows, %d queries over %d events): p50 %v, p99 %v, max %v\n",
				n, stats.Events, lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
			// Changelog: the objects with the most versions among sampled policy events.
			best, bestN := store.ObjectKey{}, 0
			npage, err := st.Events(ctx, store.EventQuery{Resources: []string{"networkpolicies"}, Limit: 200})
			if err != nil {
				return err
			}
			for _, ev := range npage.Events {
				k, ok := audit.LookupKind(ev.APIGroup, ev.Resource)
				if !ok {
					continue
				}
				key := store.ObjectKey{Cluster: ev.Cluster, Kind: k, Namespace: ev.Namespace, Name: ev.Name}
				vs, err := st.History(ctx, key)
				if err != nil {
					return err
				}
				if len(vs) > bestN {
					best, bestN = key, len(vs)
				}
			}
			if bestN > 0 {
				// The full changelog: versions with their objects, and
				// the diff of each to the one before.
				changelog := func(st store.Store) error {
					vs, err := st.History(ctx, best)
					if err != nil {
						return err
					}
					_, err = objdiff.Changelog(vs, false)
					return err
				}
				var warm, cold []time.Duration
				for range 20 {
					t0 := time.Now()
					if err := changelog(st); err != nil {
						return err
					}
					warm = append(warm, time.Since(t0))
				}
				for range 5 {
					st2, err := e.openStoreRead(ctx) // a fresh store: nothing cached
					if err != nil {
						return err
					}
					t0 := time.Now()
					err = changelog(st2)
					cold = append(cold, time.Since(t0))
					st2.Close()
					if err != nil {
						return err
					}
				}
				slices.Sort(warm)
				slices.Sort(cold)
				fmt.Fprintf(e.Out, "changelog of %s %s/%s (%d versions, objects and diffs): median %v (%v per 200 versions), first query after opening the store %v\n",
					best.Kind, best.Namespace, best.Name, bestN, warm[len(warm)/2],
					warm[len(warm)/2]*200/time.Duration(bestN), cold[len(cold)/2])
				if cpuProfile != "" {
					err := withCPUProfile(cpuProfile, func() error {
						for range 50 {
							if err := changelog(st); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						return err
					}
					fmt.Fprintf(e.Out, "CPU profile of 50 more changelogs written to %s\n", cpuProfile)
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&n, "n", 1000, "number of timeline queries")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of 50 more changelog runs to this file")
	return cmd
}
