package core

import (
	"context"
	"sync"
)

// accountCache holds every account's liveness and kick time, so that
// existence and UserSig checks never touch the store. The store is the
// source of truth; the cache is filled from it at start and written through
// on every change. A deleted account keeps its kick time: the store keeps
// it too, and revives it with the account.
type accountCache struct {
	mu sync.RWMutex
	m  map[acctKey]acctState
}

type acctState struct {
	live     bool
	kickedAt int64
}

type acctKey struct {
	app AppID
	id  string
}

func newAccountCache() *accountCache { return &accountCache{m: make(map[acctKey]acctState)} }

func (c *accountCache) put(a Account) {
	c.mu.Lock()
	c.m[acctKey{a.App, a.ID}] = acctState{live: true, kickedAt: a.KickedAt}
	c.mu.Unlock()
}

// putKeepKick marks an account live, keeping any kick time it had.
func (c *accountCache) putKeepKick(app AppID, id string) {
	c.mu.Lock()
	k := acctKey{app, id}
	st := c.m[k]
	st.live = true
	c.m[k] = st
	c.mu.Unlock()
}

// remove marks an account deleted; its kick time stays.
func (c *accountCache) remove(app AppID, id string) {
	c.mu.Lock()
	k := acctKey{app, id}
	if st, ok := c.m[k]; ok {
		if st.kickedAt == 0 {
			delete(c.m, k)
		} else {
			st.live = false
			c.m[k] = st
		}
	}
	c.mu.Unlock()
}

func (c *accountCache) exists(app AppID, id string) bool {
	c.mu.RLock()
	st := c.m[acctKey{app, id}]
	c.mu.RUnlock()
	return st.live
}

func (c *accountCache) kickedAt(app AppID, id string) (int64, bool) {
	c.mu.RLock()
	st, ok := c.m[acctKey{app, id}]
	c.mu.RUnlock()
	return st.kickedAt, ok
}

// AccountExists reports whether id is a live account of app.
func (s *Service) AccountExists(app AppID, id string) bool { return s.accounts.exists(app, id) }

// validateAccount checks a's UserID and profile fields.
func validateAccount(a *Account) error {
	if !ValidUserID(a.ID) {
		return Errorf(Invalid, FieldUser, "bad UserID %q", a.ID)
	}
	if len(a.Nick) > MaxProfileBytes {
		return Errorf(TooLarge, FieldNick, "Nick is %d bytes", len(a.Nick))
	}
	if len(a.FaceURL) > MaxProfileBytes {
		return Errorf(TooLarge, FieldFaceURL, "FaceUrl is %d bytes", len(a.FaceURL))
	}
	return nil
}

// ImportAccount creates the account, or updates Nick and FaceURL (where given)
// of an existing one. Importing twice is harmless. A bad UserID is Invalid
// (FieldUser); an oversize Nick or FaceURL is TooLarge.
func (s *Service) ImportAccount(ctx context.Context, a Account) error {
	if _, err := s.app(a.App); err != nil {
		return err
	}
	if err := validateAccount(&a); err != nil {
		return err
	}
	return s.putAccounts(ctx, []Account{a})
}

// ImportAccounts imports every valid account of accts in one write and
// returns the UserIDs it refused as invalid, in request order.
func (s *Service) ImportAccounts(ctx context.Context, app AppID, accts []Account) (failed []string, err error) {
	if _, err := s.app(app); err != nil {
		return nil, err
	}
	ok := make([]Account, 0, len(accts))
	for _, a := range accts {
		a.App = app
		if validateAccount(&a) != nil {
			failed = append(failed, a.ID)
			continue
		}
		ok = append(ok, a)
	}
	if len(ok) > 0 {
		if err := s.putAccounts(ctx, ok); err != nil {
			return nil, err
		}
	}
	return failed, nil
}

func (s *Service) putAccounts(ctx context.Context, accts []Account) error {
	now := s.Now()
	for i := range accts {
		if accts[i].Created == 0 {
			accts[i].Created = now
		}
	}
	if err := s.store.PutAccounts(ctx, accts); err != nil {
		return err
	}
	for _, a := range accts {
		s.accounts.putKeepKick(a.App, a.ID)
	}
	return nil
}

// DeleteAccounts deletes the accounts and reports for each whether it
// existed. Their history stays until retention removes it.
func (s *Service) DeleteAccounts(ctx context.Context, app AppID, ids []string) ([]bool, error) {
	if _, err := s.app(app); err != nil {
		return nil, err
	}
	existed, err := s.store.DeleteAccounts(ctx, app, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		s.accounts.remove(app, id)
	}
	return existed, nil
}

// Kick ends the user's login state: UserSigs generated before now are refused
// from now on. A user that is not imported is NotFound (FieldUser).
func (s *Service) Kick(ctx context.Context, app AppID, id string) error {
	if !s.accounts.exists(app, id) {
		return Errorf(NotFound, FieldUser, "account %q not imported", id)
	}
	now := s.Now()
	ok, err := s.store.SetKickedAt(ctx, app, id, now, []InboxEvent{{User: id, Kind: EventKick}})
	if err != nil {
		return err
	}
	if !ok {
		s.accounts.remove(app, id)
		return Errorf(NotFound, FieldUser, "account %q not imported", id)
	}
	s.accounts.put(Account{App: app, ID: id, KickedAt: now})
	return nil
}

// SignatureStillValid reports whether a UserSig of user generated at sigTime
// (Unix seconds) survives the user's last kick. A kick refuses signatures
// generated strictly before it, so a signature made right after a kick works.
// Users that are not imported have never been kicked.
func (s *Service) SignatureStillValid(app AppID, user string, sigTime int64) bool {
	kicked, _ := s.accounts.kickedAt(app, user)
	return sigTime >= kicked
}

// UserStatus is one user's reachability as OnlineStatus reports it.
type UserStatus struct {
	User    string
	Exists  bool // false: the account is not imported, nothing else is set
	Status  Status
	Devices []Device
}

// OnlineStatus reports each user's status: Online when any device is online,
// else PushOnline when any device is push-reachable, else Offline.
func (s *Service) OnlineStatus(app AppID, users []string) []UserStatus {
	out := make([]UserStatus, len(users))
	for i, u := range users {
		out[i] = UserStatus{User: u}
		if !s.accounts.exists(app, u) {
			continue
		}
		out[i].Exists = true
		out[i].Status = Offline
		out[i].Devices = s.presence.Devices(app, u)
		for _, d := range out[i].Devices {
			if d.Status == Online {
				out[i].Status = Online
				break
			}
			if d.Status == PushOnline {
				out[i].Status = PushOnline
			}
		}
	}
	return out
}
