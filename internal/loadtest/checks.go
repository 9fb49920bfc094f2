package loadtest

import "fmt"

// The targets.
const (
	goalIdleKiB        = 10.0
	goalIdleConns      = 10000
	goalTokenP99MS     = 2.0
	goalStreams        = 1000
	goalCPURatio       = 2.5
	goalStormClients   = 10000
	goalStormSeconds   = 10.0
	goalStartupMS      = 300.0
	verdictMet         = "met"
	verdictMissed      = "missed"
	verdictNotMeasured = "not comparable"
)

// ratios divides Chatbox's costs by the baseline's.
func ratios(c, b *Result) map[string]float64 {
	out := make(map[string]float64)
	put := func(name string, cv, bv float64) {
		if bv > 0 {
			out[name] = cv / bv
		}
	}
	if c.Memory != nil && b.Memory != nil {
		put("rss_per_connection", c.Memory.RSSPerConnKiB, b.Memory.RSSPerConnKiB)
	}
	if c.Chat != nil && b.Chat != nil {
		put("server_cpu_per_token", c.Chat.CPUPer1000Tokens, b.Chat.CPUPer1000Tokens)
		put("token_latency_p50", c.Chat.TokenLatency.P50MS, b.Chat.TokenLatency.P50MS)
		put("token_latency_p99", c.Chat.TokenLatency.P99MS, b.Chat.TokenLatency.P99MS)
	}
	return out
}

// checks compares the run with each target its scenario speaks to. A run
// smaller than the target's conditions says so instead of a verdict.
func checks(rep *Report) []Check {
	verdict := func(comparable string, ok bool) string {
		switch {
		case comparable != "":
			return verdictNotMeasured + ": " + comparable
		case ok:
			return verdictMet
		}
		return verdictMissed
	}
	smaller := func(n, want int, what string) string {
		if n < want {
			return fmt.Sprintf("%d %s, target is at %d", n, what, want)
		}
		return ""
	}
	var out []Check
	c := rep.Chatbox
	switch {
	case c != nil && c.Memory != nil:
		m := c.Memory
		out = append(out, Check{
			Name: "idle memory", Goal: fmt.Sprintf("<= %.0f KiB RSS per idle connection at %d", goalIdleKiB, goalIdleConns),
			Measured: fmt.Sprintf("%.1f KiB at %d connections", m.RSSPerConnKiB, m.Connections),
			Verdict:  verdict(idleComparable(rep.Params, m.Connections), m.RSSPerConnKiB <= goalIdleKiB),
		})
	case c != nil && c.Chat != nil:
		ch := c.Chat
		streams := concurrentStreams(rep.Params, ch.Sessions)
		out = append(out, Check{
			Name: "token delivery", Goal: fmt.Sprintf("p99 <= %.0f ms, %d concurrent streams", goalTokenP99MS, goalStreams),
			Measured: fmt.Sprintf("p99 %.2f ms, about %d concurrent streams", ch.TokenLatency.P99MS, streams),
			Verdict:  verdict(smaller(streams, goalStreams, "concurrent streams"), ch.TokenLatency.P99MS <= goalTokenP99MS),
		})
		if r, ok := rep.Ratios["server_cpu_per_token"]; ok {
			out = append(out, Check{
				Name: "CPU per token", Goal: fmt.Sprintf("<= %.1fx the bare-frame baseline", goalCPURatio),
				Measured: fmt.Sprintf("%.2fx (%.3f vs %.3f CPU-s per 1,000 tokens)", r, ch.CPUPer1000Tokens, rep.Baseline.Chat.CPUPer1000Tokens),
				Verdict:  verdict("", r <= goalCPURatio),
			})
		}
	case c != nil && c.Storm != nil:
		s := c.Storm
		errs := 0
		for _, n := range c.Errors {
			errs += n
		}
		ok := s.Resumed == s.Clients && s.AllResumedS <= goalStormSeconds && errs == 0 && s.Lost == 0 && s.Duplicated == 0 && s.Corrupt == 0
		out = append(out, Check{
			Name: "storm", Goal: fmt.Sprintf("%d clients resume within %.0f s, no errors, nothing lost or duplicated", goalStormClients, goalStormSeconds),
			Measured: fmt.Sprintf("%d of %d resumed in %.2f s, %d errors, %d lost, %d duplicated, %d text mismatches",
				s.Resumed, s.Clients, s.AllResumedS, errs, s.Lost, s.Duplicated, s.Corrupt),
			Verdict: verdict(smaller(s.Clients, goalStormClients, "clients"), ok),
		})
	case rep.Startup != nil:
		out = append(out, Check{
			Name: "start-up", Goal: fmt.Sprintf("ready in < %.0f ms with embedded defaults", goalStartupMS),
			Measured: fmt.Sprintf("p50 %.1f ms, max %.1f ms over %d starts", rep.Startup.P50MS, rep.Startup.MaxMS, rep.Startup.Count),
			Verdict:  verdict("", rep.Startup.MaxMS < goalStartupMS),
		})
	}
	return out
}

// concurrentStreams estimates how many replies stream at once: each
// session streams for the reply's duration out of every interval.
func concurrentStreams(p Params, sessions int) int {
	if p.IntervalS <= 0 || p.TokensPerSecond <= 0 {
		return sessions
	}
	busy := float64(max(p.TokensPerReply-1, 0)) / p.TokensPerSecond / p.IntervalS
	return int(float64(sessions) * min(busy, 1))
}

// idleComparable says why an idle run does not speak to the target, if it
// does not: the target is about 10,000 connections with a session each.
func idleComparable(p Params, n int) string {
	if p.NoSession {
		return "connections without a session"
	}
	if n < goalIdleConns {
		return fmt.Sprintf("%d connections, target is at %d", n, goalIdleConns)
	}
	return ""
}
