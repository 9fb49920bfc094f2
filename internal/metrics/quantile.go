package metrics

import (
	"math"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// FirstTokenMedian estimates this instance's median time to first token
// across providers and models, from the histogram's buckets (linear
// interpolation inside the bucket holding the median, as PromQL's
// histogram_quantile does). 0 when nothing was observed.
func (m *Metrics) FirstTokenMedian() float64 {
	return quantile(m.LLMLatency, 0.5)
}

func quantile(c prometheus.Collector, q float64) float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	counts := map[float64]uint64{} // upper bound -> cumulative count, summed over series
	var total uint64
	for metric := range ch {
		var pb dto.Metric
		if err := metric.Write(&pb); err != nil || pb.Histogram == nil {
			continue
		}
		total += pb.Histogram.GetSampleCount()
		for _, b := range pb.Histogram.GetBucket() {
			counts[b.GetUpperBound()] += b.GetCumulativeCount()
		}
	}
	if total == 0 {
		return 0
	}
	bounds := make([]float64, 0, len(counts))
	for b := range counts {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	rank := q * float64(total)
	lower, below := 0.0, uint64(0)
	for _, upper := range bounds {
		if float64(counts[upper]) >= rank {
			inBucket := counts[upper] - below
			if inBucket == 0 {
				return upper
			}
			return lower + (upper-lower)*(rank-float64(below))/float64(inBucket)
		}
		lower, below = upper, counts[upper]
	}
	// The median is above the highest finite bucket.
	return math.Inf(1)
}
