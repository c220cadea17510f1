// Package core is Parley's model and rules. Dialects (api/tim, api/agora) and
// the gateway call it; it calls the Store (and later the bus and hooks)
// through interfaces it declares. Core speaks its own terms: it refuses with
// *Error values of a small set of kinds, never with a vendor's codes.
package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"time"
)

// Presence reports the devices a user has connected. The gateway implements
// it; without a gateway everybody is offline.
type Presence interface {
	// Devices returns user's devices that are online or push-reachable.
	Devices(app AppID, user string) []Device
}

// Device is one of a user's connected (or push-reachable) devices.
type Device struct {
	Platform string // iPhone, Android, Web, PC, iPad, Mac
	Status   Status
}

// Status is a user's or device's reachability.
type Status string

const (
	Online     Status = "Online"
	PushOnline Status = "PushOnline"
	Offline    Status = "Offline"
)

type nobodyOnline struct{}

func (nobodyOnline) Devices(AppID, string) []Device { return nil }

// Config wires a Service. Store and Apps are required.
type Config struct {
	Store Store
	Apps  []*App
	// Presence reports connected devices. Nil means nobody is online.
	Presence Presence
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Logger receives background errors. Nil means slog.Default().
	Logger *slog.Logger
}

// Service applies Parley's rules. It is safe for concurrent use.
type Service struct {
	store    Store
	apps     map[AppID]*App
	presence Presence
	now      func() time.Time
	log      *slog.Logger
	accounts *accountCache
	extLimit extensionLimiter
	live     LiveDelivery
	gstore   GroupStore
	gcache   *groupCache
}

// New builds a Service: it loads every live account into memory (existence
// checks are on every send's path) and imports each app's admin accounts.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("core: no store")
	}
	s := &Service{
		store:    cfg.Store,
		apps:     make(map[AppID]*App, len(cfg.Apps)),
		presence: cfg.Presence,
		now:      cfg.Now,
		log:      cfg.Logger,
		accounts: newAccountCache(),
	}
	if s.presence == nil {
		s.presence = nobodyOnline{}
	}
	s.live = noLiveDelivery{}
	s.gcache = newGroupCache()
	s.gstore = cfg.Store
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, a := range cfg.Apps {
		if _, dup := s.apps[a.ID]; dup {
			return nil, fmt.Errorf("core: app %d configured twice", a.ID)
		}
		s.apps[a.ID] = a
	}
	err := s.store.ScanAccounts(ctx, func(a Account) error {
		s.accounts.put(a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("core: load accounts: %w", err)
	}
	if err := s.loadGroups(ctx); err != nil {
		return nil, err
	}
	for _, a := range cfg.Apps {
		var admins []Account
		for _, id := range a.Admins {
			if !s.accounts.exists(a.ID, id) {
				admins = append(admins, Account{App: a.ID, ID: id})
			}
		}
		if len(admins) > 0 {
			if err := s.putAccounts(ctx, admins); err != nil {
				return nil, fmt.Errorf("core: import admins of app %d: %w", a.ID, err)
			}
		}
	}
	return s, nil
}

// SetPresence installs the gateway's presence view. Call it before serving.
func (s *Service) SetPresence(p Presence) { s.presence = p }

// App returns the configured app with id, or nil.
func (s *Service) App(id AppID) *App { return s.apps[id] }

// Apps returns the configured apps ordered by id.
func (s *Service) Apps() []*App {
	out := make([]*App, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Now returns the service clock's current Unix time in seconds.
func (s *Service) Now() int64 { return s.now().Unix() }

func (s *Service) app(id AppID) (*App, error) {
	a := s.apps[id]
	if a == nil {
		return nil, Errorf(NotFound, "", "app %d not configured", id)
	}
	return a, nil
}

// RunRetention deletes C2C history older than each app's roaming period,
// once at start and then every interval, until ctx is done.
func (s *Service) RunRetention(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.PurgeOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("retention purge", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PurgeOnce deletes, for every app, the C2C messages and inbox entries older
// than the app's roaming period; purged messages that counted as unread
// leave their receivers' unread counts. An app whose purge fails does not
// stop the others; the result joins their errors (nil when all succeeded).
// RunRetention calls it on every tick; tests call it directly.
func (s *Service) PurgeOnce(ctx context.Context) error {
	var errs []error
	for _, a := range s.Apps() {
		before := s.now().Add(-a.RoamingPeriod()).Unix()
		n, err := s.store.PurgeC2C(ctx, a.ID, before)
		if err == nil {
			_, err = s.store.PurgeInbox(ctx, a.ID, before)
		}
		if err == nil {
			var g int64
			g, err = s.store.PurgeGroupMessages(ctx, a.ID, before)
			n += g
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("app %d: %w", a.ID, err))
		} else if n > 0 {
			s.log.Info("retention purge", "app", a.ID, "deleted", n)
		}
	}
	return errors.Join(errs...)
}

func randomUint32() uint32 { return rand.Uint32() }
