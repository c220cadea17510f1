// Package config turns flags, environment variables and an optional YAML file
// into one typed, validated Config, and keeps the app Parley creates on a
// first run. Precedence: flags over environment over file over defaults.
package config

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/parleyim/parley/internal/core"
)

// Defaults.
const (
	DefaultListen  = "127.0.0.1:8080"
	DefaultDataDir = "parley-data"
	DefaultAdmin   = "administrator"
)

// Config is the whole server's configuration.
type Config struct {
	// Listen is the host:port of the HTTP (or HTTPS) listener.
	Listen string `yaml:"listen"`
	// DataDir holds the default SQLite file and the first-run app.
	DataDir string `yaml:"data_dir"`
	// Store is "memory", "sqlite:PATH" or empty for DataDir/parley.db.
	Store string `yaml:"store"`
	// SQLiteSync is "full" (default: fsync every commit) or "normal".
	SQLiteSync string `yaml:"sqlite_sync"`
	// TLSCert and TLSKey, both set, make the listener serve HTTPS.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// DebugListen, when set, is the host:port of a second listener that
	// serves Go's profiler (/debug/pprof/). Keep it off public interfaces.
	DebugListen string `yaml:"debug_listen"`
	// Apps are the tenants. Empty means the first-run app in DataDir.
	Apps []AppConfig `yaml:"apps"`
	// GroupMsgRate is the default of each app's group_msg_rate.
	GroupMsgRate int `yaml:"group_msg_rate"`
}

// AppConfig is one app as written in the file or on the command line.
type AppConfig struct {
	SDKAppID uint64      `yaml:"sdkappid" json:"sdkappid"`
	Key      core.Secret `yaml:"key" json:"key"`
	Admins   []string    `yaml:"admins" json:"admins"`
	// RoamingDays is how long history (C2C and group) is kept. Zero means 7.
	RoamingDays int `yaml:"roaming_days" json:"roaming_days,omitempty"`
	// GroupMsgRate is each group's messages per second before frequency
	// control drops some (lowest priority first). Zero means 40; negative
	// turns frequency control off.
	GroupMsgRate int `yaml:"group_msg_rate" json:"group_msg_rate,omitempty"`
}

// StoreKind returns "memory" or "sqlite" and, for sqlite, the file path.
func (c *Config) StoreKind() (kind, path string) {
	switch {
	case c.Store == "memory":
		return "memory", ""
	case strings.HasPrefix(c.Store, "sqlite:"):
		return "sqlite", strings.TrimPrefix(c.Store, "sqlite:")
	case c.Store == "" || c.Store == "sqlite":
		return "sqlite", filepath.Join(c.DataDir, "parley.db")
	}
	return c.Store, ""
}

// CoreApps converts the configured apps for core.
func (c *Config) CoreApps() []*core.App {
	out := make([]*core.App, len(c.Apps))
	for i, a := range c.Apps {
		out[i] = &core.App{
			ID:           core.AppID(a.SDKAppID),
			Key:          a.Key,
			Admins:       a.Admins,
			Roaming:      time.Duration(a.RoamingDays) * 24 * time.Hour,
			GroupMsgRate: cmp.Or(a.GroupMsgRate, c.GroupMsgRate),
		}
	}
	return out
}

// Validate reports every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen address is empty"))
	}
	if kind, path := c.StoreKind(); kind != "memory" && kind != "sqlite" {
		errs = append(errs, fmt.Errorf("store %q: want memory or sqlite:PATH", c.Store))
	} else if kind == "sqlite" && path == "" {
		errs = append(errs, errors.New("store sqlite: needs a path"))
	}
	if s := c.SQLiteSync; s != "" && s != "full" && s != "normal" {
		errs = append(errs, fmt.Errorf("sqlite_sync %q: want full or normal", s))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls_cert and tls_key go together"))
	}
	seen := map[uint64]bool{}
	for i, a := range c.Apps {
		switch {
		case a.SDKAppID == 0:
			errs = append(errs, fmt.Errorf("app %d: sdkappid is missing", i+1))
		case seen[a.SDKAppID]:
			errs = append(errs, fmt.Errorf("app %d: sdkappid %d appears twice", i+1, a.SDKAppID))
		}
		seen[a.SDKAppID] = true
		if a.Key == "" {
			errs = append(errs, fmt.Errorf("app %d: key is missing", a.SDKAppID))
		}
		if len(a.Admins) == 0 {
			errs = append(errs, fmt.Errorf("app %d: no admin", a.SDKAppID))
		}
		for _, id := range a.Admins {
			if !core.ValidUserID(id) {
				errs = append(errs, fmt.Errorf("app %d: admin %q is not a valid UserID", a.SDKAppID, id))
			}
		}
		if a.RoamingDays < 0 {
			errs = append(errs, fmt.Errorf("app %d: roaming_days is negative", a.SDKAppID))
		}
	}
	return errors.Join(errs...)
}

// Load builds the serve command's Config from args (flags), the environment
// (PARLEY_*) and the YAML file that --config or PARLEY_CONFIG names.
func Load(args []string, getenv func(string) string) (*Config, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var (
		file     = fs.String("config", getenv("PARLEY_CONFIG"), "YAML config file (env PARLEY_CONFIG)")
		listen   = fs.String("listen", "", "listen address host:port (env PARLEY_LISTEN; default "+DefaultListen+")")
		dataDir  = fs.String("data-dir", "", "data directory (env PARLEY_DATA_DIR; default ./"+DefaultDataDir+")")
		store    = fs.String("store", "", "memory, or sqlite:PATH (env PARLEY_STORE; default sqlite in the data directory)")
		sync     = fs.String("sqlite-sync", "", "full (fsync every commit, default) or normal (env PARLEY_SQLITE_SYNC)")
		tlsCert  = fs.String("tls-cert", "", "TLS certificate file; serves HTTPS (env PARLEY_TLS_CERT)")
		tlsKey   = fs.String("tls-key", "", "TLS key file (env PARLEY_TLS_KEY)")
		logLevel = fs.String("log-level", "", "debug, info, warn or error (env PARLEY_LOG_LEVEL)")
		debug    = fs.String("debug-listen", "", "host:port serving /debug/pprof/ (env PARLEY_DEBUG_LISTEN; default off)")
		appID    = fs.String("app", "", "SDKAppID of the one app to serve (env PARLEY_APP)")
		key      = fs.String("key", "", "secret key of that app (env PARLEY_KEY)")
		admin    = fs.String("admin", "", "comma-separated admin identifiers of that app (env PARLEY_ADMIN; default "+DefaultAdmin+")")
		roaming  = fs.Int("roaming-days", 0, "days of history kept for that app (env PARLEY_ROAMING_DAYS; default 7)")
		rate     = fs.Int("group-msg-rate", 0, "messages per second per group before frequency control drops some; -1 turns it off (env PARLEY_GROUP_MSG_RATE; default 40)")
	)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cfg := &Config{}
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil {
			return nil, fmt.Errorf("config %s: %w", *file, err)
		}
	}
	pick := func(dst *string, flagValue, env string) {
		if flagValue != "" {
			*dst = flagValue
		} else if v := getenv(env); v != "" {
			*dst = v
		}
	}
	pick(&cfg.Listen, *listen, "PARLEY_LISTEN")
	pick(&cfg.DataDir, *dataDir, "PARLEY_DATA_DIR")
	pick(&cfg.Store, *store, "PARLEY_STORE")
	pick(&cfg.SQLiteSync, *sync, "PARLEY_SQLITE_SYNC")
	pick(&cfg.TLSCert, *tlsCert, "PARLEY_TLS_CERT")
	pick(&cfg.TLSKey, *tlsKey, "PARLEY_TLS_KEY")
	pick(&cfg.LogLevel, *logLevel, "PARLEY_LOG_LEVEL")
	pick(&cfg.DebugListen, *debug, "PARLEY_DEBUG_LISTEN")
	var one struct{ app, key, admin, roaming, rate string }
	pick(&one.app, *appID, "PARLEY_APP")
	pick(&one.key, *key, "PARLEY_KEY")
	pick(&one.admin, *admin, "PARLEY_ADMIN")
	if *roaming != 0 {
		one.roaming = strconv.Itoa(*roaming)
	} else {
		one.roaming = getenv("PARLEY_ROAMING_DAYS")
	}
	if *rate != 0 {
		one.rate = strconv.Itoa(*rate)
	} else {
		one.rate = getenv("PARLEY_GROUP_MSG_RATE")
	}
	if one.app != "" || one.key != "" {
		a, err := appFromFlags(one.app, one.key, one.admin, one.roaming)
		if err != nil {
			return nil, err
		}
		cfg.Apps = []AppConfig{a}
	}
	if one.rate != "" {
		r, err := strconv.Atoi(one.rate)
		if err != nil {
			return nil, fmt.Errorf("group message rate %q: not a number", one.rate)
		}
		cfg.GroupMsgRate = r
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir
	}
	for i := range cfg.Apps {
		if len(cfg.Apps[i].Admins) == 0 {
			cfg.Apps[i].Admins = []string{DefaultAdmin}
		}
	}
	return cfg, nil
}

func appFromFlags(app, key, admins, roaming string) (AppConfig, error) {
	if app == "" || key == "" {
		return AppConfig{}, errors.New("--app and --key go together")
	}
	id, err := strconv.ParseUint(app, 10, 64)
	if err != nil {
		return AppConfig{}, fmt.Errorf("--app %q: not a number", app)
	}
	a := AppConfig{SDKAppID: id, Key: core.Secret(key)}
	for _, s := range strings.Split(admins, ",") {
		if s = strings.TrimSpace(s); s != "" {
			a.Admins = append(a.Admins, s)
		}
	}
	if roaming != "" {
		if a.RoamingDays, err = strconv.Atoi(roaming); err != nil {
			return AppConfig{}, fmt.Errorf("roaming days %q: not a number", roaming)
		}
	}
	return a, nil
}

// firstRunFile is where the app made on a first run is kept.
const firstRunFile = "app.json"

// EnsureApp gives a Config without apps the app kept in DataDir, creating
// and saving one (random SDKAppID in the 1400000000 range, random 64-hex
// key, admin "administrator") when there is none. created reports that a new
// app was made.
func (c *Config) EnsureApp() (created bool, err error) {
	if len(c.Apps) > 0 {
		return false, nil
	}
	path := filepath.Join(c.DataDir, firstRunFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var a AppConfig
		if err := json.Unmarshal(b, &a); err != nil {
			return false, fmt.Errorf("%s: %w", path, err)
		}
		c.Apps = []AppConfig{a}
		return false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	a, err := NewApp()
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return false, err
	}
	b, err = json.MarshalIndent(struct {
		SDKAppID uint64   `json:"sdkappid"`
		Key      string   `json:"key"`
		Admins   []string `json:"admins"`
	}{a.SDKAppID, string(a.Key), a.Admins}, "", "  ")
	if err != nil {
		return false, err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return false, err
	}
	c.Apps = []AppConfig{a}
	return true, nil
}

// NewApp returns an app with a random SDKAppID in [1400000000, 1500000000)
// and a random 64-hex-digit key.
func NewApp() (AppConfig, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return AppConfig{}, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return AppConfig{}, err
	}
	return AppConfig{
		SDKAppID: 1_400_000_000 + n.Uint64(),
		Key:      core.Secret(hex.EncodeToString(key)),
		Admins:   []string{DefaultAdmin},
	}, nil
}
