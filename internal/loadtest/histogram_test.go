package loadtest

import (
	"testing"
	"time"
)

func TestBucketsCoverEveryValueWithBoundedError(t *testing.T) {
	for _, us := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1023, 1024, 99_999, 1 << 30, 1<<42 - 1} {
		i := bucketOf(us)
		if up := bucketUpper(i); us > up {
			t.Errorf("%d µs in bucket %d whose upper edge is %d", us, i, up)
		}
		if i > 0 && us <= bucketUpper(i-1) {
			t.Errorf("%d µs in bucket %d but fits the one below", us, i)
		}
		if us >= histLinear {
			if lo := bucketUpper(i-1) + 1; float64(bucketUpper(i)-lo) > 0.016*float64(lo) {
				t.Errorf("bucket %d spans %d..%d, more than 1.6%%", i, lo, bucketUpper(i))
			}
		}
	}
}

func TestQuantiles(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Fatal("an empty histogram must report zeros")
	}
	for us := 1; us <= 10_000; us++ {
		h.Record(time.Duration(us) * time.Microsecond)
	}
	h.Record(-time.Second) // a clock step counts as zero
	tests := []struct {
		q    float64
		want time.Duration
	}{{0.5, 5 * time.Millisecond}, {0.99, 9900 * time.Microsecond}, {1, 10 * time.Millisecond}}
	for _, tt := range tests {
		got := h.Quantile(tt.q)
		if got < tt.want || float64(got-tt.want) > 0.016*float64(tt.want) {
			t.Errorf("q%.2f = %s, want %s to 1.6%% above", tt.q, got, tt.want)
		}
	}
	if h.Max() != 10*time.Millisecond || h.Count() != 10_001 {
		t.Errorf("max %s count %d", h.Max(), h.Count())
	}
	if s := h.Summary(); s.P50MS < 5 || s.MaxMS != 10 {
		t.Errorf("summary %+v", s)
	}
}
