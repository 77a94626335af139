package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/evident-dev/evident/internal/demo/synth"
)

// newDevWebhookLoadCmd is the webhook load generator of BENCHMARKS.md: it
// posts real-shaped EventLists, as kube-apiservers' webhook backends do,
// at a fixed rate, and reports the acknowledgement latency.
func newDevWebhookLoadCmd(e *env) *cobra.Command {
	var url, token string
	var rate, batch, senders, total int
	var seed int64
	cmd := &cobra.Command{
		Use:   "webhook-load --url URL --token T [--rate 20000] [--events 600000]",
		Short: "Post synthetic audit EventLists to a webhook receiver at a fixed rate",
		Long: `Post synthetic RequestResponse audit events (about 3.3 KB each) to an Evident
webhook receiver in EventLists of --batch events (the API server's default maximum
is 400), at --rate events per second (open loop: a batch is sent on time whether or
not earlier ones were answered, up to --senders in flight, as several API servers
would). It reports the rate achieved, the acknowledgement latency (p50, p99, max)
and any failed batches. The events have unique audit IDs, so the receiver should
end up storing exactly --events of them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				return usagef("--url is required")
			}
			gen, err := synth.New(synth.Volume(seed, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), total))
			if err != nil {
				return err
			}
			return runWebhookLoad(cmd.Context(), e, gen, url, token, rate, batch, senders)
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", "", "the receiver, e.g. http://127.0.0.1:8080/ingest/v1/audit")
	f.StringVar(&token, "token", "", "bearer token")
	f.IntVar(&rate, "rate", 20000, "events per second to send")
	f.IntVar(&batch, "batch", 400, "events per EventList")
	f.IntVar(&senders, "senders", 32, "most requests in flight")
	f.IntVar(&total, "events", 600000, "events to send")
	f.Int64Var(&seed, "seed", 7, "generator seed")
	return cmd
}

func runWebhookLoad(ctx context.Context, e *env, gen *synth.Generator, url, token string, rate, batch, senders int) error {
	if rate <= 0 || batch <= 0 || senders <= 0 {
		return usagef("--rate, --batch and --senders must be positive")
	}
	// Bodies are built ahead of the sender by the generator.
	bodies := make(chan []byte, 64)
	genErr := make(chan error, 1)
	go func() {
		defer close(bodies)
		var buf bytes.Buffer
		n := 0
		flush := func() {
			if n == 0 {
				return
			}
			buf.WriteString("]}")
			bodies <- bytes.Clone(buf.Bytes())
			buf.Reset()
			n = 0
		}
		genErr <- gen.Events(ctx, func(line []byte) error {
			if n == 0 {
				buf.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
			} else {
				buf.WriteByte(',')
			}
			buf.Write(line)
			if n++; n == batch {
				flush()
			}
			return nil
		})
		flush()
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}, Timeout: time.Minute}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		sent      atomic.Int64
		failed    atomic.Int64
		lastErr   atomic.Value
		wg        sync.WaitGroup
	)
	slots := make(chan struct{}, senders)
	interval := time.Duration(float64(time.Second) * float64(batch) / float64(rate))
	start := time.Now()
	next := start
	late := 0
	for body := range bodies {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		} else if d < -interval {
			late++
		}
		next = next.Add(interval)
		slots <- struct{}{}
		wg.Add(1)
		go func(body []byte) {
			defer wg.Done()
			defer func() { <-slots }()
			t0 := time.Now()
			err := post(ctx, client, url, token, body)
			d := time.Since(t0)
			mu.Lock()
			latencies = append(latencies, d)
			mu.Unlock()
			if err != nil {
				failed.Add(1)
				lastErr.Store(err.Error())
				return
			}
			sent.Add(int64(bytes.Count(body, []byte(`"auditID"`))))
		}(body)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := <-genErr; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	slices.Sort(latencies)
	q := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	fmt.Fprintf(e.Out, "sent %d events in %d batches over %s: %.0f events/s (target %d); behind schedule %d times\n",
		sent.Load(), len(latencies), elapsed.Round(time.Millisecond), float64(sent.Load())/elapsed.Seconds(), rate, late)
	fmt.Fprintf(e.Out, "acknowledgement: p50 %s, p99 %s, max %s\n", q(0.50).Round(time.Microsecond),
		q(0.99).Round(time.Microsecond), q(1).Round(time.Microsecond))
	fmt.Fprintf(e.Out, "result events=%d events_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f failed=%d\n", sent.Load(),
		float64(sent.Load())/elapsed.Seconds(), ms(q(0.5)), ms(q(0.99)), ms(q(1)), failed.Load())
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d batches failed; last: %v", n, lastErr.Load())
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func post(ctx context.Context, client *http.Client, url, token string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
