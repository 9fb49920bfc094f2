package loadtest

import (
	"strings"
	"testing"
)

func TestChecksNeverJudgeARunSmallerThanTheTarget(t *testing.T) {
	idle := func(n int, kib float64) *Report {
		return &Report{Chatbox: &Result{Memory: &MemoryResult{Connections: n, RSSPerConnKiB: kib}}}
	}
	tests := []struct {
		name string
		rep  *Report
		want string
	}{
		{"small idle run", idle(100, 5), verdictNotMeasured},
		{"idle met", idle(10000, 9.5), verdictMet},
		{"idle missed", idle(10000, 25), verdictMissed},
		{"chat with too few streams", &Report{Params: Params{IntervalS: 10, TokensPerReply: 50, TokensPerSecond: 5},
			Chatbox: &Result{Chat: &ChatResult{Sessions: 100}}}, verdictNotMeasured},
		{"chat met", &Report{Params: Params{IntervalS: 10, TokensPerReply: 51, TokensPerSecond: 5},
			Chatbox: &Result{Chat: &ChatResult{Sessions: 1000, TokenLatency: Summary{P99MS: 1.9}}}}, verdictMet},
		{"storm with an error", &Report{Chatbox: &Result{Storm: &StormResult{Clients: 10000, Resumed: 10000, AllResumedS: 3},
			Errors: map[string]int{"dial:timeout": 1}}}, verdictMissed},
		{"storm met", &Report{Chatbox: &Result{Storm: &StormResult{Clients: 10000, Resumed: 10000, AllResumedS: 3}}}, verdictMet},
		{"startup missed", &Report{Startup: &Summary{Count: 3, P50MS: 100, MaxMS: 400}}, verdictMissed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checks(tt.rep)
			if len(got) != 1 || !strings.HasPrefix(got[0].Verdict, tt.want) {
				t.Fatalf("checks = %+v, want one %q", got, tt.want)
			}
		})
	}
}

func TestCPURatioIsChecked(t *testing.T) {
	rep := &Report{
		Params:   Params{IntervalS: 1, TokensPerReply: 2, TokensPerSecond: 1},
		Chatbox:  &Result{Chat: &ChatResult{Sessions: 1000, CPUPer1000Tokens: 0.3}},
		Baseline: &Result{Chat: &ChatResult{CPUPer1000Tokens: 0.1}},
	}
	rep.Ratios = ratios(rep.Chatbox, rep.Baseline)
	got := checks(rep)
	if len(got) != 2 || got[1].Name != "CPU per token" || got[1].Verdict != verdictMissed {
		t.Fatalf("checks = %+v, want a missed CPU check (3x)", got)
	}
}
