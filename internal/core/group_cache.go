package core

import (
	"slices"
	"sync"
)

// groupCache holds every live group with its members, so that sends, member
// checks and conversation lists never read the store. Writes go to the
// store first; the cache then takes what the store returned. Management
// writes to one group are serialized by the group's lock; message appends
// are not (they share group commits) and merge the store's counters
// monotonically.
type groupCache struct {
	mu     sync.RWMutex
	groups map[groupKey]*cachedGroup
	joined map[acctKey]map[string]struct{} // user → ids of the groups they are in
}

type groupKey struct {
	app AppID
	id  string
}

type cachedGroup struct {
	// write serializes management changes (members, info, mutes) of the group.
	write sync.Mutex

	mu      sync.RWMutex // guards the fields below
	g       Group
	members map[string]*Member
	ids     []string // member ids, copy on write: handed out without copying
	topics  map[string]*Topic
	// online are AVChatRoom members (devices in the room), in memory only.
	online map[string]int
	// avSeq numbers AVChatRoom messages, which are never stored.
	avSeq uint64
	dedup recentSends
	freq  freqWindow
}

func newGroupCache() *groupCache {
	return &groupCache{groups: map[groupKey]*cachedGroup{}, joined: map[acctKey]map[string]struct{}{}}
}

// get returns the cached group or nil.
func (c *groupCache) get(app AppID, id string) *cachedGroup {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.groups[groupKey{app, id}]
}

// put caches a group and its members (replacing any previous entry).
func (c *groupCache) put(g Group, members []Member, topics []Topic) *cachedGroup {
	cg := &cachedGroup{g: g, members: map[string]*Member{}, topics: map[string]*Topic{}, online: map[string]int{}}
	cg.avSeq = g.NextSeq - 1
	for i := range members {
		m := members[i]
		cg.members[m.User] = &m
	}
	for i := range topics {
		t := topics[i]
		cg.topics[t.ID] = &t
	}
	cg.rebuildIDs()
	c.mu.Lock()
	defer c.mu.Unlock()
	k := groupKey{g.App, g.ID}
	if old := c.groups[k]; old != nil {
		for u := range old.members {
			c.unjoinLocked(g.App, u, g.ID)
		}
	}
	c.groups[k] = cg
	for u := range cg.members {
		c.joinLocked(g.App, u, g.ID)
	}
	return cg
}

func (c *groupCache) remove(app AppID, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := groupKey{app, id}
	cg := c.groups[k]
	if cg == nil {
		return
	}
	for u := range cg.members {
		c.unjoinLocked(app, u, id)
	}
	delete(c.groups, k)
}

func (c *groupCache) joinLocked(app AppID, user, group string) {
	k := acctKey{app, user}
	set := c.joined[k]
	if set == nil {
		set = map[string]struct{}{}
		c.joined[k] = set
	}
	set[group] = struct{}{}
}

func (c *groupCache) unjoinLocked(app AppID, user, group string) {
	k := acctKey{app, user}
	if set := c.joined[k]; set != nil {
		delete(set, group)
		if len(set) == 0 {
			delete(c.joined, k)
		}
	}
}

// setMembers records members added (present) or removed in the user index.
func (c *groupCache) setMembers(app AppID, group string, users []string, present bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, u := range users {
		if present {
			c.joinLocked(app, u, group)
		} else {
			c.unjoinLocked(app, u, group)
		}
	}
}

// joinedBy returns the ids of the groups user is a member of.
func (c *groupCache) joinedBy(app AppID, user string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	set := c.joined[acctKey{app, user}]
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// snapshot returns a copy of the group.
func (cg *cachedGroup) snapshot() Group {
	cg.mu.RLock()
	defer cg.mu.RUnlock()
	return cg.g
}

// member returns a copy of user's membership.
func (cg *cachedGroup) member(user string) (Member, bool) {
	cg.mu.RLock()
	defer cg.mu.RUnlock()
	m := cg.members[user]
	if m == nil {
		return Member{}, false
	}
	out := *m
	out.MuteUntil = cg.g.Mutes[user]
	return out, true
}

// memberIDs returns the member ids (shared, read-only).
func (cg *cachedGroup) memberIDs() []string {
	cg.mu.RLock()
	defer cg.mu.RUnlock()
	return cg.ids
}

func (cg *cachedGroup) rebuildIDs() {
	ids := make([]string, 0, len(cg.members))
	for u := range cg.members {
		ids = append(ids, u)
	}
	slices.Sort(ids)
	cg.ids = ids
}

// setGroup replaces the group's stored fields after a management write.
func (cg *cachedGroup) setGroup(g Group) {
	cg.mu.Lock()
	cg.g = g
	cg.mu.Unlock()
}

// mergeCounters takes the message counters of a stored group, keeping the
// newest of each (appends to one group may return out of order).
func (cg *cachedGroup) mergeCounters(g Group) {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	c := &cg.g
	c.NextSeq = max(c.NextSeq, g.NextSeq)
	if g.LastSeq > c.LastSeq {
		c.LastSeq, c.LastTime = g.LastSeq, g.LastTime
	}
	c.LastMsgTime = max(c.LastMsgTime, g.LastMsgTime)
	c.Counted = max(c.Counted, g.Counted)
	c.AtAllSeq = max(c.AtAllSeq, g.AtAllSeq)
}

// putMember caches a membership (new or changed).
func (cg *cachedGroup) putMember(m Member) {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	_, had := cg.members[m.User]
	mm := m
	cg.members[m.User] = &mm
	if !had {
		cg.rebuildIDs()
	}
}

func (cg *cachedGroup) dropMember(user string) {
	cg.mu.Lock()
	defer cg.mu.Unlock()
	if _, ok := cg.members[user]; ok {
		delete(cg.members, user)
		cg.rebuildIDs()
	}
}
