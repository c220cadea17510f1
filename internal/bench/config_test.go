package bench

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none: valid
	}{
		{"defaults", Config{}, nil},
		{"all and more", Config{Scenarios: []string{"all", "sendmsg"}}, nil},
		{"unknown scenario", Config{Scenarios: []string{"nosuch"}}, []string{`scenario "nosuch"`}},
		{"url without app", Config{URL: "http://127.0.0.1:8080"}, []string{"--sdkappid and --key"}},
		{"bad url", Config{URL: "127.0.0.1:8080", SDKAppID: 1, Key: "k"}, []string{"want http://"}},
		{"group sizes", Config{Groups: []int{1, 0}, Members: 200_000, Page: 50},
			[]string{"groups 0: want 1", "members is at most 100000", "page 50: group_msg_get_simple answers at most 20"}},
		{"a page over 20 without grouphistory", Config{Scenarios: []string{"history"}, Page: 50}, nil},
		{"every problem at once", Config{Store: "postgres", Users: 1, Rate: -1, ServerPID: 7},
			[]string{`store "postgres"`, "users must be at least 2", "rate must not be negative", "--server-pid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("Validate: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: nil, want an error with %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate: %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{Warmup: -1}.withDefaults()
	if c.Warmup != 0 || c.Duration == 0 || c.Clients == 0 || len(c.Scenarios) != len(Scenarios) {
		t.Errorf("withDefaults = %+v: want no warm-up, a duration, clients and every scenario", c)
	}
	if d := Defaults(); d.Warmup <= 0 || d.Out != nil || d.Scenarios != nil {
		t.Errorf("Defaults() = %+v", d)
	}
}

func TestFileBudget(t *testing.T) {
	cfg := Config{Scenarios: []string{"conns"}, Conns: 50_000}.withDefaults()
	err := cfg.fileBudget(20_000)
	if err == nil || !strings.Contains(err.Error(), "100256 open files") || !strings.Contains(err.Error(), "--server-pid") {
		t.Errorf("in-process 50,000 conns with 20,000 files: %v, want a refusal that counts two per connection", err)
	}
	cfg.URL = "http://127.0.0.1:8080"
	if err := cfg.fileBudget(20_000); err == nil || !strings.Contains(err.Error(), "50256 open files") {
		t.Errorf("remote 50,000 conns with 20,000 files: %v, want a refusal that counts one per connection", err)
	}
	if err := cfg.fileBudget(60_000); err != nil {
		t.Errorf("remote 50,000 conns with 60,000 files: %v", err)
	}
	if err := cfg.fileBudget(0); err != nil {
		t.Errorf("unknown limit: %v, want no check", err)
	}
	cfg.Scenarios = []string{"sendmsg"}
	if err := cfg.fileBudget(100); err != nil {
		t.Errorf("no conns scenario: %v", err)
	}
}
