package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat. Linux fixes it
// at 100 for user space on every architecture Go supports.
const userHZ = 100

// usage is a process's memory and CPU at one moment.
type usage struct {
	RSS int64         // resident set size, bytes
	CPU time.Duration // user + system time since the process started
}

// probe reads a server's resource usage: from /proc when its PID is known
// (the harness started it, or was told), else from the Prometheus metrics
// process_resident_memory_bytes and process_cpu_seconds_total.
type probe struct {
	pid        int
	metricsURL string
	http       *http.Client
}

func (p probe) read(ctx context.Context) (usage, error) {
	if p.pid > 0 {
		return readProc(p.pid)
	}
	if p.metricsURL == "" {
		return usage{}, fmt.Errorf("loadtest: no PID and no metrics URL to read the server's memory from")
	}
	m, err := p.scrape(ctx)
	if err != nil {
		return usage{}, err
	}
	return usage{
		RSS: int64(m["process_resident_memory_bytes"]),
		CPU: time.Duration(m["process_cpu_seconds_total"] * float64(time.Second)),
	}, nil
}

// readProc reads VmRSS from /proc/PID/status and utime+stime from
// /proc/PID/stat.
func readProc(pid int) (usage, error) {
	var u usage
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, fmt.Errorf("loadtest: read server memory: %w", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return u, fmt.Errorf("loadtest: parse VmRSS %q: %w", rest, err)
			}
			u.RSS = kb << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, fmt.Errorf("loadtest: read server CPU time: %w", err)
	}
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return u, err
	}
	u.CPU = cpu
	return u, nil
}

// parseStatCPU returns utime+stime from the contents of /proc/PID/stat.
// The command name (field 2) may contain spaces and parentheses, so fields
// are counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("loadtest: malformed /proc stat")
	}
	// After ")": state is field 3; utime and stime are fields 14 and 15.
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("loadtest: short /proc stat")
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("loadtest: parse /proc stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// scrape reads the unlabelled samples of a Prometheus text exposition.
func (p probe) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metricsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("loadtest: metrics request: %w", err)
	}
	client := p.http
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadtest: scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("loadtest: scrape metrics: status %d", resp.StatusCode)
	}
	return parseExposition(io.LimitReader(resp.Body, 16<<20))
}

// parseExposition keeps samples without labels ("name value"), which is
// all the harness needs: process and Go runtime gauges.
func parseExposition(r io.Reader) (map[string]float64, error) {
	out := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		out[name] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("loadtest: read metrics: %w", err)
	}
	return out, nil
}

// machineBusy is the CPU time all processes have used since boot, from
// the first line of /proc/stat (user, nice, system, irq, softirq, steal).
func machineBusy() (time.Duration, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("loadtest: read machine CPU time: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, fmt.Errorf("loadtest: malformed /proc/stat")
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("loadtest: parse /proc/stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// cpuSplit measures, over a window, the cores used by the server, by the
// harness itself, and by everything else on the machine, which is the noise
// a shared machine adds to latency numbers.
type cpuSplit struct {
	server, self, machine time.Duration
}

func readCPUSplit(serverCPU time.Duration) cpuSplit {
	s := cpuSplit{server: serverCPU}
	if u, err := readProc(os.Getpid()); err == nil {
		s.self = u.CPU
	}
	s.machine, _ = machineBusy()
	return s
}

// cores returns the average cores the harness and the rest of the machine
// used between a and b, over wall.
func (a cpuSplit) cores(b cpuSplit, wall time.Duration) (harness, others float64) {
	if wall <= 0 {
		return 0, 0
	}
	harness = (b.self - a.self).Seconds() / wall.Seconds()
	others = ((b.machine - a.machine) - (b.server - a.server) - (b.self - a.self)).Seconds() / wall.Seconds()
	return harness, max(others, 0)
}
