package openai_test

import (
	"fmt"
	"testing"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// BenchmarkStream measures one full streamed reply over real loopback HTTP:
// request encoding, SSE decoding by the SDK, and the provider's loop.
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{16, 256} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			tokens := make([]string, n)
			for i := range tokens {
				tokens[i] = fmt.Sprintf(" tok%d", i)
			}
			s := llmtest.NewServer(b, fixed(llmtest.Reply{Tokens: tokens}))
			p := newProvider(b, s)
			req := request("benchmark")
			emit := func(string) error { return nil }
			b.ReportAllocs()
			for b.Loop() {
				got, err := p.Stream(b.Context(), req, emit)
				if err != nil {
					b.Fatal(err)
				}
				if len(got.Text) == 0 {
					b.Fatal("empty reply")
				}
			}
			b.ReportMetric(float64(n), "tokens/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/token")
		})
	}
}
