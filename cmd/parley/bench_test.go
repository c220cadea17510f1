package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/parleytest"
)

func TestBenchFlags(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.json"), []byte(`{"sdkappid":1400000042,"key":"abc","admins":["administrator"]}`), 0o600)
	cfg, _, code := parseBench([]string{"--url", "http://127.0.0.1:9", "--data-dir", dir, "--scenario", "ceiling,sendmsg",
		"--rate", "2000/s", "--warmup", "0", "--clients", "64", "--duration", "3s", "--json", "r.json"}, io.Discard, io.Discard)
	if code != -1 {
		t.Fatalf("parseBench: exit code %d, want to run", code)
	}
	if cfg.SDKAppID != 1400000042 || cfg.Key != "abc" {
		t.Errorf("app from --data-dir: %d %q, want 1400000042 abc", cfg.SDKAppID, cfg.Key)
	}
	if cfg.Rate != 2000 || cfg.Warmup >= 0 || cfg.Clients != 64 || cfg.Duration != 3*time.Second || cfg.JSONPath != "r.json" {
		t.Errorf("rate %v warmup %v clients %d duration %v json %q", cfg.Rate, cfg.Warmup, cfg.Clients, cfg.Duration, cfg.JSONPath)
	}
	if strings.Join(cfg.Scenarios, ",") != "ceiling,sendmsg" {
		t.Errorf("scenarios %v", cfg.Scenarios)
	}
}

func TestBenchRefusals(t *testing.T) {
	for _, args := range [][]string{
		{"--scenario", "nosuch"},
		{"--rate", "fast"},
		{"--url", "http://127.0.0.1:9", "--data-dir", t.TempDir()}, // no key, no first-run app
		{"--clients", "0"},
		{"--duration", "0s"},
		{"extra"},
	} {
		var stderr strings.Builder
		if code := runBench(t.Context(), args, io.Discard, &stderr); code != 2 {
			t.Errorf("parley bench %v: exit %d, want 2\n%s", args, code, stderr.String())
		}
	}
}

// benchAgainst runs a short sendmsg load against a test node.
func benchAgainst(t *testing.T, n *parleytest.Node, extra ...string) (int, string) {
	args := append([]string{"--url", n.URL, "--sdkappid", strconv.Itoa(parleytest.AppID), "--key", parleytest.Key,
		"--scenario", "sendmsg", "--duration", "300ms", "--warmup", "0", "--clients", "2", "--users", "4", "--quiet",
		"--server-pid", strconv.Itoa(os.Getpid())}, extra...)
	var stdout, stderr strings.Builder
	code := runBench(t.Context(), args, &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

func TestBenchDrivesAServer(t *testing.T) {
	n := parleytest.Start(t)
	code, out := benchAgainst(t, n)
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	for _, want := range []string{"\n  sendmsg ", "cpu/rss of sendmsg: pid " + strconv.Itoa(os.Getpid()), "\nOK: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output has no %q:\n%s", want, out)
		}
	}
}

func TestBenchErrorsFailTheRun(t *testing.T) {
	n := parleytest.Start(t)
	// Signed with another key: every request is refused with 70009.
	code, out := benchAgainst(t, n, "--key", strings.Repeat("0", 64))
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.Contains(out, "ErrorCode 70009") || !strings.HasPrefix(lines[len(lines)-1], "FAILED: ") {
		t.Errorf("want the errors by code and a last line that says FAILED:\n%s", out)
	}
}

func TestBenchServeNull(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	stdout := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- runBench(ctx, []string{"--serve-null", "127.0.0.1:0"}, stdout, io.Discard) }()
	waitFor(t, stdout, `null server at http://\S+`)
	url := regexp.MustCompile(`http://\S+`).FindString(stdout.String())
	resp, err := http.Post(url+"/v4/openim/sendmsg", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"ErrorCode":0`) {
		t.Errorf("null sendmsg answered %s", body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}
