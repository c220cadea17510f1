package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "parley.yaml")
	os.WriteFile(file, []byte("listen: 0.0.0.0:9000\nstore: memory\ngroup_msg_rate: 10\napps:\n  - sdkappid: 1400000007\n    key: k\n    admins: [ops]\n    roaming_days: 30\n"), 0o600)
	cfg, err := Load([]string{"--config", file, "--listen", "127.0.0.1:9999"}, env(map[string]string{"PARLEY_STORE": "sqlite:/tmp/x.db"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" {
		t.Errorf("listen = %q, want the flag", cfg.Listen)
	}
	if cfg.Store != "sqlite:/tmp/x.db" {
		t.Errorf("store = %q, want the environment's", cfg.Store)
	}
	apps := cfg.CoreApps()
	if len(apps) != 1 || apps[0].ID != 1400000007 || apps[0].Admins[0] != "ops" || apps[0].RoamingPeriod().Hours() != 30*24 || apps[0].GroupMsgRate != 10 {
		t.Errorf("apps = %+v", apps[0])
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestLoadOneAppFromFlags(t *testing.T) {
	cfg, err := Load([]string{"--app", "1400000001", "--key", "secret", "--admin", "a, b", "--group-msg-rate", "-1"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.CoreApps()[0]
	if a.ID != 1400000001 || string(a.Key) != "secret" || len(a.Admins) != 2 || a.Admins[1] != "b" || a.GroupMsgRate != -1 {
		t.Errorf("app = %+v", a)
	}
	if a.Key.String() == "secret" {
		t.Errorf("the key prints in clear")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := &Config{Store: "postgres://x", SQLiteSync: "sometimes", TLSCert: "c",
		Apps: []AppConfig{{SDKAppID: 0}, {SDKAppID: 5, Key: "k", Admins: []string{"bad\x01"}}}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate passed a broken config")
	}
	for _, want := range []string{"listen", "store", "sqlite_sync", "tls", "sdkappid is missing", "not a valid UserID"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q: %v", want, err)
		}
	}
}

func TestFirstRunAppIsKept(t *testing.T) {
	cfg := &Config{DataDir: t.TempDir()}
	created, err := cfg.EnsureApp()
	if err != nil || !created {
		t.Fatalf("EnsureApp = %v, %v; want a new app", created, err)
	}
	a := cfg.Apps[0]
	if a.SDKAppID < 1400000000 || a.SDKAppID >= 1500000000 || len(a.Key) != 64 || a.Admins[0] != DefaultAdmin {
		t.Errorf("new app = %+v", a)
	}
	again := &Config{DataDir: cfg.DataDir}
	if created, err := again.EnsureApp(); err != nil || created || again.Apps[0].SDKAppID != a.SDKAppID || again.Apps[0].Key != a.Key {
		t.Errorf("second EnsureApp = %v, %v, %+v; want the kept app", created, err, again.Apps)
	}
}
