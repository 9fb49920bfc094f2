package loadtest

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram records durations with microsecond resolution below 128 µs and
// a relative error under 1.6% above, in constant memory, safe for
// concurrent use without locks. Percentiles report the upper edge of their
// bucket, so they never flatter.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
	sumUS  atomic.Uint64
	maxUS  atomic.Uint64
}

const (
	histLinear  = 128 // exact buckets 0..127 µs
	histSubBits = 6   // 64 buckets per power of two above that
	histSub     = 1 << histSubBits
	// From 2^7 µs up to 2^42 µs (about 50 days): 35 octaves.
	histBuckets = histLinear + 35*histSub
)

// bucketOf maps microseconds to a bucket index.
func bucketOf(us uint64) int {
	if us < histLinear {
		return int(us)
	}
	exp := bits.Len64(us) - 1 // 7 or more
	shift := exp - histSubBits
	idx := histLinear + (exp-7)*histSub + int(us>>shift) - histSub
	return min(idx, histBuckets-1)
}

// bucketUpper is the largest value (µs) bucket i holds.
func bucketUpper(i int) uint64 {
	if i < histLinear {
		return uint64(i)
	}
	octave := (i - histLinear) / histSub
	sub := (i - histLinear) % histSub
	shift := octave + 7 - histSubBits
	return (uint64(histSub+sub+1) << shift) - 1
}

// Record adds one duration; negative durations (clock steps) count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.counts[bucketOf(us)].Add(1)
	h.total.Add(1)
	h.sumUS.Add(us)
	for {
		cur := h.maxUS.Load()
		if us <= cur || h.maxUS.CompareAndSwap(cur, us) {
			return
		}
	}
}

// Count is how many durations were recorded.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Quantile returns the duration below which a fraction q of the recorded
// ones fall (at most the bucket's upper edge), or 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(time.Duration(bucketUpper(i))*time.Microsecond, h.Max())
		}
	}
	return h.Max()
}

// Max is the largest recorded duration.
func (h *Histogram) Max() time.Duration { return time.Duration(h.maxUS.Load()) * time.Microsecond }

// Mean is the average recorded duration.
func (h *Histogram) Mean() time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sumUS.Load()/n) * time.Microsecond
}

// Summary is a histogram's percentiles in milliseconds, for reports.
type Summary struct {
	Count  uint64  `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// Summary returns the histogram's percentiles.
func (h *Histogram) Summary() Summary {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Summary{
		Count: h.Count(), MeanMS: ms(h.Mean()),
		P50MS: ms(h.Quantile(0.50)), P95MS: ms(h.Quantile(0.95)),
		P99MS: ms(h.Quantile(0.99)), MaxMS: ms(h.Max()),
	}
}
