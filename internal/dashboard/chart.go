package dashboard

import (
	"math"
	"strconv"
	"time"

	"github.com/evident-dev/evident/internal/store"
)

// The charts are inline SVG drawn from numbers the server computes: the
// templates only place rectangles, circles and escaped text.

// barChart is a column chart of events over time.
type barChart struct {
	Label            string // what the chart shows, for assistive technology
	Unit             string // "minute", "10 minutes", "hour", "day"
	W, H             int    // the view box
	PlotX, PlotY     string
	PlotW, PlotH     string
	PlotBottom       string
	Bars             []bar
	YTicks, XTicks   []tick
	Total, Max, NBar int64
}

type bar struct {
	X, Y, W, H string
	Title      string
	Href       string
}

type tick struct {
	Pos   string
	Label string
}

// Geometry of the events chart, in view-box units.
const (
	chartW      = 1000
	chartH      = 170
	chartLeft   = 48
	chartRight  = 8
	chartTop    = 10
	chartBottom = 24
	maxBars     = 1000
)

// chartBucket picks the bucket of the events chart: hours for the usual
// ranges, finer for short ones, days for very long ones.
func chartBucket(span time.Duration) (time.Duration, string) {
	switch {
	case span <= 2*time.Hour:
		return time.Minute, "minute"
	case span <= 12*time.Hour:
		return 10 * time.Minute, "10 minutes"
	case span <= 41*24*time.Hour:
		return time.Hour, "hour"
	}
	return 24 * time.Hour, "day"
}

// buildBarChart lays out counts (of any sources) over [from, to) in
// buckets; href, when set, links each bar to the events of its bucket.
func buildBarChart(counts []store.Count, from, to time.Time, bucket time.Duration, unit string,
	href func(start, end time.Time) string) *barChart {
	first := from.Truncate(bucket)
	n := int(to.Sub(first) / bucket)
	if to.Sub(first)%bucket != 0 {
		n++
	}
	n = max(1, min(n, maxBars))
	vals := make([]int64, n)
	var total int64
	for _, c := range counts {
		i := int(c.Start.Sub(first) / bucket)
		if i < 0 || i >= n {
			continue
		}
		vals[i] += c.N
		total += c.N
	}
	var peak int64
	for _, v := range vals {
		peak = max(peak, v)
	}
	top := niceCeil(peak)
	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBottom)
	c := &barChart{Unit: unit, W: chartW, H: chartH, PlotX: num(chartLeft), PlotY: num(chartTop), PlotW: num(plotW),
		PlotH: num(plotH), PlotBottom: num(chartTop + plotH), Total: total, Max: peak, NBar: int64(n)}
	c.Label = "Events per " + unit + ": " + strconv.FormatInt(total, 10) + " in total, at most " +
		strconv.FormatInt(peak, 10) + " in one " + unit
	slot := plotW / float64(n)
	w := slot
	if slot > 3 {
		w = slot * 0.8
	}
	for i, v := range vals {
		if v == 0 {
			continue
		}
		start := first.Add(time.Duration(i) * bucket)
		h := float64(v) / float64(top) * plotH
		h = max(h, 1)
		b := bar{X: num(chartLeft + float64(i)*slot + (slot-w)/2), Y: num(chartTop + plotH - h), W: num(w), H: num(h),
			Title: fmtTime(start) + ": " + strconv.FormatInt(v, 10) + " events"}
		if href != nil {
			b.Href = href(start, start.Add(bucket))
		}
		c.Bars = append(c.Bars, b)
	}
	for _, y := range []int64{0, top / 2, top} {
		c.YTicks = append(c.YTicks, tick{Pos: num(chartTop + plotH - float64(y)/float64(top)*plotH),
			Label: strconv.FormatInt(y, 10)})
	}
	layout := "Jan 02 15:04"
	if to.Sub(first) <= 24*time.Hour {
		layout = "15:04"
	} else if bucket >= 24*time.Hour {
		layout = "Jan 02"
	}
	ticks := min(n, 6)
	for k := range ticks {
		i := k * n / ticks
		c.XTicks = append(c.XTicks, tick{Pos: num(chartLeft + float64(i)*slot + slot/2),
			Label: first.Add(time.Duration(i) * bucket).UTC().Format(layout)})
	}
	return c
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten (at least 1).
func niceCeil(v int64) int64 {
	if v <= 1 {
		return 1
	}
	p := int64(math.Pow(10, math.Floor(math.Log10(float64(v)))))
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// num formats a coordinate.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// ring is one arc of a radial bar chart: a circle whose dash shows
// value/total of its circumference.
type ring struct {
	R         string
	Dash      string // stroke-dasharray
	Class     string
	Label     string
	Value     string
	Percent   string
	Desc      string
	HasLegend bool
}

// ringRadii are the radii of up to four concentric rings in a 120-unit
// view box; ringClasses colour them.
func ringRadii() []float64     { return []float64{52, 40, 28, 16} }
func ringClasses() []string    { return []string{"ring-a", "ring-b", "ring-c", "ring-d"} }
func segmentClasses() []string { return []string{"seg-high", "seg-med", "seg-low"} }

// buildRings makes one ring per value (at most four) out of total.
func buildRings(total float64, items []summaryItem) []ring {
	radii, classes := ringRadii(), ringClasses()
	var out []ring
	for i, it := range items {
		if i >= len(radii) {
			break
		}
		r := radii[i]
		circ := 2 * math.Pi * r
		frac := 0.0
		if total > 0 {
			frac = math.Max(0, math.Min(1, it.Value/total))
		}
		out = append(out, ring{R: num(r), Dash: num(frac*circ) + " " + num(circ), Class: classes[i], Label: it.Label,
			Value: fmtNumber(it.Value), Percent: percentText(it.Value, total), Desc: it.Desc})
	}
	return out
}

// segment is one part of a horizontal stacked bar.
type segment struct {
	X, W    string
	Class   string
	Label   string
	Value   string
	Percent string
	Desc    string
}

// buildSegments lays values side by side across a 300-unit bar.
func buildSegments(items []summaryItem) []segment {
	var sum float64
	for _, it := range items {
		sum += math.Max(0, it.Value)
	}
	classes := segmentClasses()
	var out []segment
	x := 0.0
	for i, it := range items {
		w := 0.0
		if sum > 0 {
			w = math.Max(0, it.Value) / sum * 300
		}
		out = append(out, segment{X: num(x), W: num(w), Class: classes[min(i, len(classes)-1)], Label: it.Label,
			Value: fmtNumber(it.Value), Percent: percentText(it.Value, sum), Desc: it.Desc})
		x += w
	}
	return out
}

func fmtNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

func percentText(v, total float64) string {
	if total <= 0 {
		return "–"
	}
	return strconv.Itoa(int(math.Round(v*100/total))) + "%"
}
