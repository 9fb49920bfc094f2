package loadtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the report for people: one row per number, Chatbox
// and baseline side by side with their ratio, then the targets.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "chatload %s  %s  commit %s  %d x %s  %s\n", r.Scenario, r.Date.Format("2006-01-02 15:04Z"),
		orDash(r.Commit), r.Machine.CPUs, orDash(r.Machine.CPU), r.Machine.GoVersion)
	fmt.Fprintf(&b, "params: %s\n", paramsLine(r.Params))
	if r.Unavailable != "" {
		fmt.Fprintf(&b, "%s: %s\n", r.Scenario, r.Unavailable)
	}
	if r.StartupMS > 0 {
		fmt.Fprintf(&b, "chatbox start-up to ready: %.1f ms\n", r.StartupMS)
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tchatbox\tbaseline\tratio")
	for _, row := range r.rows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row[0], row[1], row[2], row[3])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, res := range []*Result{r.Chatbox, r.Baseline} {
		if res != nil {
			fmt.Fprintf(&b, "errors (%s): %s\n", res.Target, errorLine(res.Errors))
		}
	}
	if r.FakeLLM != nil {
		fmt.Fprintf(&b, "fake model: %d tokens emitted, %d streams (%d completed, %d aborted)\n", r.FakeLLM.TokensEmitted,
			r.FakeLLM.StreamsStarted, r.FakeLLM.StreamsCompleted, r.FakeLLM.StreamsAborted)
	}
	for _, c := range r.Targets {
		verdict, why, _ := strings.Cut(c.Verdict, ": ")
		if why != "" {
			why = " (" + why + ")"
		}
		fmt.Fprintf(&b, "target %-15s %s%s | goal %s | measured %s\n", c.Name+":", strings.ToUpper(verdict), why, c.Goal, c.Measured)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rows are the table's lines: label, chatbox, baseline, ratio.
func (r *Report) rows() [][4]string {
	var rows [][4]string
	add := func(label string, get func(*Result) (float64, bool), format, ratioKey string) {
		cv, cok := value(r.Chatbox, get)
		if !cok {
			return
		}
		row := [4]string{label, fmt.Sprintf(format, cv), "", ""}
		if bv, ok := value(r.Baseline, get); ok {
			row[2] = fmt.Sprintf(format, bv)
		}
		if ratio, ok := r.Ratios[ratioKey]; ok {
			row[3] = fmt.Sprintf("%.2fx", ratio)
		}
		rows = append(rows, row)
	}
	conn := func(res *Result) (float64, bool) { return float64(res.Connect.Connected), res.Connect.Attempted > 0 }
	add("connected", conn, "%.0f", "")
	addSummary(add, "connect ms", func(res *Result) *Summary { return &res.Connect.Time }, "")
	mem := func(f func(*MemoryResult) float64) func(*Result) (float64, bool) {
		return func(res *Result) (float64, bool) {
			if res.Memory == nil {
				return 0, false
			}
			return f(res.Memory), true
		}
	}
	add("RSS before, MiB", mem(func(m *MemoryResult) float64 { return m.RSSBeforeMiB }), "%.1f", "")
	add("RSS after, MiB", mem(func(m *MemoryResult) float64 { return m.RSSAfterMiB }), "%.1f", "")
	add("RSS per conn right after setup, KiB", mem(func(m *MemoryResult) float64 { return m.RSSPerConnSettledKiB }), "%.2f", "")
	add("RSS per connection, KiB", mem(func(m *MemoryResult) float64 { return m.RSSPerConnKiB }), "%.2f", "rss_per_connection")
	add("  Go heap in use per conn, KiB", mem(func(m *MemoryResult) float64 { return m.HeapPerConnKiB }), "%.2f", "")
	add("  goroutine stacks per conn, KiB", mem(func(m *MemoryResult) float64 { return m.StackPerConnKiB }), "%.2f", "")
	add("  goroutines per conn", mem(func(m *MemoryResult) float64 { return m.GoroutinesPer }), "%.2f", "")
	chat := func(f func(*ChatResult) float64) func(*Result) (float64, bool) {
		return func(res *Result) (float64, bool) {
			if res.Chat == nil {
				return 0, false
			}
			return f(res.Chat), true
		}
	}
	add("replies", chat(func(c *ChatResult) float64 { return float64(c.Replies) }), "%.0f", "")
	add("tokens delivered", chat(func(c *ChatResult) float64 { return float64(c.TokensDelivered) }), "%.0f", "")
	add("catch-up deltas (several tokens)", chat(func(c *ChatResult) float64 { return float64(c.MergedDeltas) }), "%.0f", "")
	addSummary(add, "first token ms", func(res *Result) *Summary { return chatSummary(res, true) }, "")
	addSummary(add, "token latency ms", func(res *Result) *Summary { return chatSummary(res, false) }, "token_latency_p99")
	add("server CPU s per 1,000 tokens", chat(func(c *ChatResult) float64 { return c.CPUPer1000Tokens }), "%.4f", "server_cpu_per_token")
	add("server cores (CPU s / wall s)", chat(func(c *ChatResult) float64 { return c.ServerCPUS / max(c.WallS, 1e-9) }), "%.2f", "")
	add("harness cores", chat(func(c *ChatResult) float64 { return c.HarnessCores }), "%.2f", "")
	add("other processes' cores (noise)", chat(func(c *ChatResult) float64 { return c.OtherCores }), "%.2f", "")
	add("messages persisted per s", chat(func(c *ChatResult) float64 { return c.PersistedPerSecond }), "%.1f", "")
	add("lost / duplicated / mismatched", chat(func(c *ChatResult) float64 { return float64(c.Lost + c.Duplicated + c.Corrupt) }), "%.0f", "")
	storm := func(f func(*StormResult) float64) func(*Result) (float64, bool) {
		return func(res *Result) (float64, bool) {
			if res.Storm == nil {
				return 0, false
			}
			return f(res.Storm), true
		}
	}
	add("replies in flight at the drop", storm(func(s *StormResult) float64 { return float64(s.InFlight) }), "%.0f", "")
	add("resumed", storm(func(s *StormResult) float64 { return float64(s.Resumed) }), "%.0f", "")
	add("all resumed after, s", storm(func(s *StormResult) float64 { return s.AllResumedS }), "%.2f", "")
	addSummary(add, "resume ms", func(res *Result) *Summary {
		if res.Storm == nil {
			return nil
		}
		return &res.Storm.ResumeTime
	}, "")
	add("replies completed after resume", storm(func(s *StormResult) float64 { return float64(s.RepliesCompleted) }), "%.0f", "")
	add("lost", storm(func(s *StormResult) float64 { return float64(s.Lost) }), "%.0f", "")
	add("duplicated", storm(func(s *StormResult) float64 { return float64(s.Duplicated) }), "%.0f", "")
	add("reply text mismatches", storm(func(s *StormResult) float64 { return float64(s.Corrupt) }), "%.0f", "")
	addSummary(add, "admin token latency ms", func(res *Result) *Summary {
		if res.Watch == nil {
			return nil
		}
		return &res.Watch.TokenLatency
	}, "")
	if r.Startup != nil {
		s := r.Startup
		rows = append(rows, [4]string{"start-up to ready ms p50 / p95 / max",
			fmt.Sprintf("%.1f / %.1f / %.1f", s.P50MS, s.P95MS, s.MaxMS), "", ""})
	}
	return rows
}

// addSummary adds p50, p95, p99 and max rows of a latency summary.
func addSummary(add func(string, func(*Result) (float64, bool), string, string), label string, get func(*Result) *Summary, p99Ratio string) {
	pick := func(f func(*Summary) float64) func(*Result) (float64, bool) {
		return func(res *Result) (float64, bool) {
			s := get(res)
			if s == nil || s.Count == 0 {
				return 0, false
			}
			return f(s), true
		}
	}
	add(label+" p50", pick(func(s *Summary) float64 { return s.P50MS }), "%.2f", strings.Replace(p99Ratio, "p99", "p50", 1))
	add(label+" p95", pick(func(s *Summary) float64 { return s.P95MS }), "%.2f", "")
	add(label+" p99", pick(func(s *Summary) float64 { return s.P99MS }), "%.2f", p99Ratio)
	add(label+" max", pick(func(s *Summary) float64 { return s.MaxMS }), "%.2f", "")
}

func chatSummary(res *Result, first bool) *Summary {
	if res.Chat == nil {
		return nil
	}
	if first {
		return &res.Chat.FirstToken
	}
	return &res.Chat.TokenLatency
}

func value(res *Result, get func(*Result) (float64, bool)) (float64, bool) {
	if res == nil {
		return 0, false
	}
	return get(res)
}

func paramsLine(p Params) string {
	var parts []string
	add := func(name string, v any, set bool) {
		if set {
			parts = append(parts, fmt.Sprintf("%s=%v", name, v))
		}
	}
	add("connections", p.Connections, p.Connections > 0)
	add("no_session", p.NoSession, p.NoSession)
	add("sessions", p.Sessions, p.Sessions > 0)
	add("interval_s", p.IntervalS, p.IntervalS > 0)
	add("duration_s", p.DurationS, p.DurationS > 0)
	add("tokens_per_reply", p.TokensPerReply, p.TokensPerReply > 0)
	add("tokens_per_second", p.TokensPerSecond, p.TokensPerSecond > 0)
	add("in_flight", p.InFlight, p.InFlight > 0)
	add("startup_runs", p.StartupRuns, p.StartupRuns > 0)
	return strings.Join(parts, " ")
}

func errorLine(errs map[string]int) string {
	if len(errs) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, errs[k]))
	}
	return strings.Join(parts, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
