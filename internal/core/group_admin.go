package core

import (
	"context"
	"crypto/rand"
	"slices"
)

// Group management: create, destroy, info, owner, members, roles, mutes.
// Refusal fields: FieldGroup (no such group: NotFound; bad id: Invalid;
// taken: Duplicate), FieldGroupOwned (taken by a group the same owner has),
// FieldUser (an account), FieldList (too many).

// Field names of group refusals.
const (
	FieldGroup      = "Group"
	FieldGroupOwned = "GroupOwned"
	FieldTopic      = "Topic"
	FieldAt         = "At"
	FieldMembers    = "Members"
	FieldFull       = "Full" // the group is full
	FieldType       = "Type"
)

// CreateGroupRequest asks for a new group.
type CreateGroupRequest struct {
	App              AppID
	Type             GroupType
	ID               string // "" generates one
	Name             string
	Introduction     string
	Notification     string
	FaceURL          string
	Owner            string // "" for an ownerless group
	MaxMembers       int    // 0: the type's default
	ApplyJoinOption  string
	InviteJoinOption string
	AppDefined       []KV
	Members          []Member // User, Role (Admin or Member), NameCard, AppDefined, JoinTime
	SupportTopic     bool
}

var joinOptions = []string{"FreeAccess", "NeedPermission", "DisableApply"}
var inviteOptions = []string{"FreeAccess", "NeedPermission", "DisableInvite"}

// validateGroupInfo checks the info fields' limits.
func validateGroupInfo(name, intro, notice, face string, kvs []KV) error {
	switch {
	case len(name) > MaxGroupNameBytes:
		return Errorf(Invalid, "Name", "name is %d bytes, limit %d", len(name), MaxGroupNameBytes)
	case len(intro) > MaxIntroductionBytes:
		return Errorf(Invalid, "Introduction", "introduction is %d bytes", len(intro))
	case len(notice) > MaxNotificationBytes:
		return Errorf(Invalid, "Notification", "notification is %d bytes", len(notice))
	case len(face) > MaxGroupFaceURLBytes:
		return Errorf(Invalid, "FaceUrl", "face URL is %d bytes", len(face))
	}
	return validateKVs(kvs, MaxGroupDefinedKeys, 512)
}

func validateKVs(kvs []KV, maxKeys, maxValue int) error {
	if len(kvs) > maxKeys {
		return Errorf(Invalid, "AppDefinedData", "%d custom fields, limit %d", len(kvs), maxKeys)
	}
	for _, kv := range kvs {
		if kv.Key == "" || len(kv.Key) > 16 || len(kv.Value) > maxValue {
			return Errorf(Invalid, "AppDefinedData", "custom field %q", kv.Key)
		}
		for i := 0; i < len(kv.Key); i++ {
			c := kv.Key[i]
			if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return Errorf(Invalid, "AppDefinedData", "custom field key %q", kv.Key)
			}
		}
	}
	return nil
}

// CreateGroup creates a group with its owner (a member with role Owner)
// and initial members; every member's devices are told. Refusals: Invalid
// (type, name, options, limits, an Admin in a Work group, FieldGroup for a
// bad custom ID), TooLarge (FieldList: more than MaxCreateMembers),
// NotFound (FieldUser: owner or a member not imported), Forbidden (members
// of an AVChatRoom), Duplicate (FieldGroup: ID taken; FieldGroupOwned:
// taken by a group of the same owner).
func (s *Service) CreateGroup(ctx context.Context, req *CreateGroupRequest) (Group, error) {
	if _, err := s.app(req.App); err != nil {
		return Group{}, err
	}
	if req.Type == "" {
		return Group{}, Errorf(Invalid, FieldType, "group type missing")
	}
	if req.Name == "" {
		return Group{}, Errorf(Invalid, "Name", "name missing")
	}
	if err := validateGroupInfo(req.Name, req.Introduction, req.Notification, req.FaceURL, req.AppDefined); err != nil {
		return Group{}, err
	}
	if req.ApplyJoinOption != "" && !slices.Contains(joinOptions, req.ApplyJoinOption) {
		return Group{}, Errorf(Invalid, "ApplyJoinOption", "apply join option %q", req.ApplyJoinOption)
	}
	if req.InviteJoinOption != "" && !slices.Contains(inviteOptions, req.InviteJoinOption) {
		return Group{}, Errorf(Invalid, "InviteJoinOption", "invite join option %q", req.InviteJoinOption)
	}
	maxMembers := DefaultMaxMembers
	if req.Type == GroupCommunity {
		maxMembers = CommunityMaxMembers
	}
	if req.Type == GroupAVChat {
		maxMembers = 0 // unlimited
	}
	if req.MaxMembers < 0 || (req.MaxMembers > maxMembers && maxMembers > 0) {
		return Group{}, Errorf(Invalid, "MaxMemberCount", "max members %d, limit %d", req.MaxMembers, maxMembers)
	}
	if req.MaxMembers > 0 {
		maxMembers = req.MaxMembers
	}
	if len(req.Members) > 0 && !req.Type.StoresMembers() {
		return Group{}, Errorf(Forbidden, FieldMembers, "an AVChatRoom has no member list")
	}
	if len(req.Members) > MaxCreateMembers {
		return Group{}, Errorf(TooLarge, FieldList, "%d members, limit %d", len(req.Members), MaxCreateMembers)
	}
	if req.Owner != "" {
		if err := s.needAccount(req.App, req.Owner, FieldUser); err != nil {
			return Group{}, err
		}
	}
	now := s.Now()
	g := Group{
		App: req.App, Type: req.Type, ID: req.ID, Name: req.Name, Introduction: req.Introduction,
		Notification: req.Notification, FaceURL: req.FaceURL, Owner: req.Owner, CreateTime: now,
		InfoSeq: 1, LastInfoTime: now, MaxMembers: maxMembers, ApplyJoinOption: req.ApplyJoinOption,
		InviteJoinOption: req.InviteJoinOption, AppDefined: req.AppDefined, SupportTopic: req.SupportTopic,
		NextSeq: 1, Mutes: map[string]int64{},
	}
	if g.ApplyJoinOption == "" {
		g.ApplyJoinOption = "NeedPermission"
		if req.Type.FreeJoin() {
			g.ApplyJoinOption = "FreeAccess"
		}
	}
	members, err := s.initialMembers(req, now)
	if err != nil {
		return Group{}, err
	}
	if maxMembers > 0 && len(members) > maxMembers {
		return Group{}, Errorf(TooLarge, FieldFull, "%d members, limit %d", len(members), maxMembers)
	}
	if req.ID != "" {
		if !ValidGroupID(req.ID, req.Type) {
			return Group{}, Errorf(Invalid, FieldGroup, "bad group id %q", req.ID)
		}
		if taken := s.gcache.get(req.App, req.ID); taken != nil {
			if o := taken.snapshot().Owner; o != "" && o == req.Owner {
				return Group{}, Errorf(Duplicate, FieldGroupOwned, "group %q is already yours", req.ID)
			}
			return Group{}, Errorf(Duplicate, FieldGroup, "group %q exists", req.ID)
		}
		return s.storeNewGroup(ctx, g, members)
	}
	for attempt := 0; ; attempt++ {
		g.ID = newGroupID(req.Type)
		created, err := s.storeNewGroup(ctx, g, members)
		if KindOf(err) != Duplicate || attempt > 5 {
			return created, err
		}
	}
}

// initialMembers builds the owner and the requested members.
func (s *Service) initialMembers(req *CreateGroupRequest, now int64) ([]Member, error) {
	var out []Member
	seen := map[string]bool{}
	if req.Owner != "" && req.Type.StoresMembers() {
		out = append(out, Member{App: req.App, User: req.Owner, Role: RoleOwner, JoinTime: now, MsgFlag: "AcceptAndNotify"})
		seen[req.Owner] = true
	}
	for _, m := range req.Members {
		if seen[m.User] {
			continue
		}
		seen[m.User] = true
		if err := s.needAccount(req.App, m.User, FieldUser); err != nil {
			return nil, err
		}
		switch m.Role {
		case "", RoleMember:
			m.Role = RoleMember
		case RoleAdmin:
			if !req.Type.HasAdmins() {
				return nil, Errorf(Invalid, "Role", "a Work group has no admins")
			}
		default:
			return nil, Errorf(Invalid, "Role", "role %q", m.Role)
		}
		if len(m.NameCard) > MaxNameCardBytes {
			return nil, Errorf(Invalid, "NameCard", "name card is %d bytes", len(m.NameCard))
		}
		if err := validateKVs(m.AppDefined, MaxMemberDefinedKeys, 64); err != nil {
			return nil, err
		}
		m.App, m.JoinTime, m.MsgFlag = req.App, now, "AcceptAndNotify"
		out = append(out, m)
	}
	return out, nil
}

func (s *Service) storeNewGroup(ctx context.Context, g Group, members []Member) (Group, error) {
	for i := range members {
		members[i].Group = g.ID
	}
	g.MemberCount = len(members)
	events := make([]InboxEvent, 0, len(members))
	for _, m := range members {
		events = append(events, InboxEvent{User: m.User, Kind: EventGroupJoined, Payload: mustJSON(GroupRef{Group: g.ID})})
	}
	if err := s.gstore.CreateGroup(ctx, &g, members, events); err != nil {
		if KindOf(err) == Duplicate {
			return Group{}, Errorf(Duplicate, FieldGroup, "group %q exists", g.ID)
		}
		return Group{}, err
	}
	s.gcache.put(g, members, nil)
	return g, nil
}

const groupIDChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newGroupID returns a generated id: the type's prefix and 8 uppercase
// alphanumerics (Community ids are longer, as Tencent's are).
func newGroupID(t GroupType) string {
	n := 8
	if t == GroupCommunity {
		n = 12
	}
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = groupIDChars[int(b[i])%len(groupIDChars)]
	}
	return t.idPrefix() + string(b)
}

// group returns the cached live group, or NotFound (FieldGroup).
func (s *Service) group(app AppID, id string) (*cachedGroup, error) {
	if _, err := s.app(app); err != nil {
		return nil, err
	}
	cg := s.gcache.get(app, id)
	if cg == nil {
		return nil, Errorf(NotFound, FieldGroup, "no group %q", id)
	}
	return cg, nil
}

// DestroyGroup deletes a group with its members and messages; its members'
// devices are told. NotFound (FieldGroup) when there is no such group.
func (s *Service) DestroyGroup(ctx context.Context, app AppID, id string) error {
	cg, err := s.group(app, id)
	if err != nil {
		return err
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	ids := cg.memberIDs()
	events := make([]InboxEvent, 0, len(ids))
	for _, u := range ids {
		events = append(events, InboxEvent{User: u, Kind: EventGroupLeft, Payload: mustJSON(GroupRef{Group: id, Reason: "destroyed"})})
	}
	if err := s.gstore.DestroyGroup(ctx, app, id, events); err != nil {
		return err
	}
	s.gcache.remove(app, id)
	return nil
}

// GroupInfo is a group as get_group_info shows it.
type GroupInfo struct {
	Group   Group
	Members []Member // the owner first, then by join time and id; none for an AVChatRoom
	Err     error    // NotFound (FieldGroup) when there is no such group
}

// Groups returns each group's info and members.
func (s *Service) Groups(app AppID, ids []string) []GroupInfo {
	out := make([]GroupInfo, len(ids))
	for i, id := range ids {
		cg, err := s.group(app, id)
		if err != nil {
			out[i].Err = err
			continue
		}
		out[i].Group = cg.snapshot()
		out[i].Members = cg.sortedMembers()
	}
	return out
}

// sortedMembers returns copies of the members ordered by join time, then
// id; the owner first.
func (cg *cachedGroup) sortedMembers() []Member {
	cg.mu.RLock()
	out := make([]Member, 0, len(cg.members))
	for _, m := range cg.members {
		mm := *m
		mm.MuteUntil = cg.g.Mutes[m.User]
		out = append(out, mm)
	}
	cg.mu.RUnlock()
	slices.SortFunc(out, func(a, b Member) int {
		if (a.Role == RoleOwner) != (b.Role == RoleOwner) {
			if a.Role == RoleOwner {
				return -1
			}
			return 1
		}
		if a.JoinTime != b.JoinTime {
			if a.JoinTime < b.JoinTime {
				return -1
			}
			return 1
		}
		switch {
		case a.User < b.User:
			return -1
		case a.User > b.User:
			return 1
		}
		return 0
	})
	return out
}

// GroupChange modifies a group's info; nil fields stay as they are.
type GroupChange struct {
	Name             *string
	Introduction     *string
	Notification     *string
	FaceURL          *string
	MaxMembers       *int
	ApplyJoinOption  *string
	InviteJoinOption *string
	MuteAll          *bool
	// AppDefined sets custom fields; an empty value deletes the key.
	AppDefined []KV
}

// ModifyGroup changes a group's info (InfoSeq moves on). Refusals: NotFound
// (FieldGroup), Invalid (limits and options).
func (s *Service) ModifyGroup(ctx context.Context, app AppID, id string, ch GroupChange) (Group, error) {
	cg, err := s.group(app, id)
	if err != nil {
		return Group{}, err
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	g, err := s.gstore.UpdateGroup(ctx, app, id, func(g *Group) ([]InboxEvent, error) {
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&g.Name, ch.Name)
		set(&g.Introduction, ch.Introduction)
		set(&g.Notification, ch.Notification)
		set(&g.FaceURL, ch.FaceURL)
		set(&g.ApplyJoinOption, ch.ApplyJoinOption)
		set(&g.InviteJoinOption, ch.InviteJoinOption)
		if ch.Name != nil && *ch.Name == "" {
			return nil, Errorf(Invalid, "Name", "name cannot be empty")
		}
		if ch.ApplyJoinOption != nil && !slices.Contains(joinOptions, g.ApplyJoinOption) {
			return nil, Errorf(Invalid, "ApplyJoinOption", "apply join option %q", g.ApplyJoinOption)
		}
		if ch.InviteJoinOption != nil && !slices.Contains(inviteOptions, g.InviteJoinOption) {
			return nil, Errorf(Invalid, "InviteJoinOption", "invite join option %q", g.InviteJoinOption)
		}
		if ch.MaxMembers != nil {
			if *ch.MaxMembers < g.MemberCount || *ch.MaxMembers <= 0 {
				return nil, Errorf(Invalid, "MaxMemberNum", "max members %d", *ch.MaxMembers)
			}
			g.MaxMembers = *ch.MaxMembers
		}
		if ch.MuteAll != nil {
			g.MuteAll = *ch.MuteAll
		}
		g.AppDefined = mergeKVs(g.AppDefined, ch.AppDefined)
		if err := validateGroupInfo(g.Name, g.Introduction, g.Notification, g.FaceURL, g.AppDefined); err != nil {
			return nil, err
		}
		g.InfoSeq++
		g.LastInfoTime = s.Now()
		return nil, nil
	})
	if err != nil {
		return Group{}, groupNotFound(err, id)
	}
	cg.setGroup(mergeStored(cg.snapshot(), g))
	return g, nil
}

// groupNotFound gives a store's NotFound about a group FieldGroup.
func groupNotFound(err error, id string) error {
	if KindOf(err) == NotFound && FieldOf(err) == "" {
		return Errorf(NotFound, FieldGroup, "no group %q", id)
	}
	return err
}

// mergeKVs applies changes to kvs: set, or delete on an empty value.
func mergeKVs(kvs, changes []KV) []KV {
	if len(changes) == 0 {
		return kvs
	}
	out := slices.Clone(kvs)
	for _, ch := range changes {
		i := slices.IndexFunc(out, func(kv KV) bool { return kv.Key == ch.Key })
		switch {
		case i >= 0 && ch.Value == "":
			out = slices.Delete(out, i, i+1)
		case i >= 0:
			out[i].Value = ch.Value
		case ch.Value != "":
			out = append(out, ch)
		}
	}
	return out
}

// ChangeOwner makes newOwner, a member, the owner; the old owner becomes a
// Member. Refusals: NotFound (FieldGroup; FieldUser: not a member), Forbidden
// (AVChatRoom has no member list to choose from).
func (s *Service) ChangeOwner(ctx context.Context, app AppID, id, newOwner string) error {
	cg, err := s.group(app, id)
	if err != nil {
		return err
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	g := cg.snapshot()
	if !g.Type.StoresMembers() {
		if err := s.needAccount(app, newOwner, FieldUser); err != nil {
			return err
		}
	} else if _, ok := cg.member(newOwner); !ok {
		return Errorf(NotFound, FieldUser, "%q is not a member", newOwner)
	}
	old := g.Owner
	updated, err := s.gstore.UpdateGroup(ctx, app, id, func(g *Group) ([]InboxEvent, error) {
		g.Owner = newOwner
		g.InfoSeq++
		g.LastInfoTime = s.Now()
		return nil, nil
	})
	if err != nil {
		return groupNotFound(err, id)
	}
	cg.setGroup(mergeStored(cg.snapshot(), updated))
	if !g.Type.StoresMembers() {
		return nil
	}
	for _, u := range []string{old, newOwner} {
		if u == "" {
			continue
		}
		role := RoleMember
		if u == newOwner {
			role = RoleOwner
		}
		m, err := s.gstore.UpdateMember(ctx, app, id, u, func(m *Member) ([]InboxEvent, error) {
			m.Role = role
			return nil, nil
		})
		if err != nil && KindOf(err) != NotFound {
			return err
		}
		if err == nil {
			cg.putMember(m)
		}
	}
	return nil
}

// AddResult is the outcome for one user of AddMembers: 0 failed (not
// imported), 1 added, 2 already a member.
type AddResult struct {
	User   string
	Result int
}

// AddMembers adds users to a group; the new members' devices are told.
// Refusals: NotFound (FieldGroup), Forbidden (AVChatRoom), TooLarge
// (FieldList: more than MaxAddMembers; FieldFull: the group would be over
// its member limit).
func (s *Service) AddMembers(ctx context.Context, app AppID, id string, users []string) ([]AddResult, error) {
	cg, err := s.group(app, id)
	if err != nil {
		return nil, err
	}
	if len(users) > MaxAddMembers {
		return nil, Errorf(TooLarge, FieldList, "%d members, limit %d", len(users), MaxAddMembers)
	}
	g := cg.snapshot()
	if !g.Type.RESTMembers() {
		return nil, Errorf(Forbidden, FieldMembers, "members of an AVChatRoom join from their devices")
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	return s.addMembersLocked(ctx, cg, users, RoleMember)
}

// addMembersLocked adds users with role; caller holds cg.write.
func (s *Service) addMembersLocked(ctx context.Context, cg *cachedGroup, users []string, role Role) ([]AddResult, error) {
	g := cg.snapshot()
	out := make([]AddResult, len(users))
	var add []Member
	var events []InboxEvent
	now := s.Now()
	seen := map[string]bool{}
	for i, u := range users {
		out[i].User = u
		switch {
		case !s.AccountExists(g.App, u):
			out[i].Result = 0
		case seen[u]:
			out[i].Result = 2
		default:
			if _, ok := cg.member(u); ok {
				out[i].Result = 2
				continue
			}
			seen[u] = true
			out[i].Result = 1
			add = append(add, Member{App: g.App, Group: g.ID, User: u, Role: role, JoinTime: now,
				MsgFlag: "AcceptAndNotify", ReadSeq: g.NextSeq - 1, ReadCounted: g.Counted})
			events = append(events, InboxEvent{User: u, Kind: EventGroupJoined, Payload: mustJSON(GroupRef{Group: g.ID})})
		}
	}
	if len(add) == 0 {
		return out, nil
	}
	if g.MaxMembers > 0 && g.MemberCount+len(add) > g.MaxMembers {
		return nil, Errorf(TooLarge, FieldFull, "group %q would have %d members, limit %d", g.ID, g.MemberCount+len(add), g.MaxMembers)
	}
	added, updated, err := s.gstore.PutMembers(ctx, g.App, g.ID, add, events)
	if err != nil {
		return nil, groupNotFound(err, g.ID)
	}
	var ids []string
	for i, m := range add {
		if added[i] {
			cg.putMember(m)
			ids = append(ids, m.User)
		}
	}
	cg.setGroup(mergeStored(cg.snapshot(), updated))
	s.gcache.setMembers(g.App, g.ID, ids, true)
	s.live.DeliverGroupChange(GroupChangeEvent{App: g.App, Group: g.ID, Kind: GroupMembersAdded, Users: ids})
	return out, nil
}

// mergeStored takes a stored group's member count and info, keeping the
// cache's message counters where they are newer.
func mergeStored(cached, stored Group) Group {
	stored.NextSeq = max(stored.NextSeq, cached.NextSeq)
	if cached.LastSeq > stored.LastSeq {
		stored.LastSeq, stored.LastTime = cached.LastSeq, cached.LastTime
	}
	stored.LastMsgTime = max(stored.LastMsgTime, cached.LastMsgTime)
	stored.Counted = max(stored.Counted, cached.Counted)
	stored.AtAllSeq = max(stored.AtAllSeq, cached.AtAllSeq)
	return stored
}

// DeleteMembers removes users from a group (non-members are ignored); the
// removed members' devices are told. The owner cannot be removed.
// Refusals: NotFound (FieldGroup), Forbidden (AVChatRoom), Invalid
// (FieldUser: the owner), TooLarge (FieldList).
func (s *Service) DeleteMembers(ctx context.Context, app AppID, id string, users []string, reason string) error {
	cg, err := s.group(app, id)
	if err != nil {
		return err
	}
	if len(users) > MaxDeleteMembers {
		return Errorf(TooLarge, FieldList, "%d members, limit %d", len(users), MaxDeleteMembers)
	}
	g := cg.snapshot()
	if !g.Type.RESTMembers() {
		return Errorf(Forbidden, FieldMembers, "an AVChatRoom has no member list")
	}
	if g.Owner != "" && slices.Contains(users, g.Owner) {
		return Errorf(Invalid, FieldUser, "the owner cannot be removed")
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	return s.removeMembersLocked(ctx, cg, users, "removed")
}

func (s *Service) removeMembersLocked(ctx context.Context, cg *cachedGroup, users []string, reason string) error {
	g := cg.snapshot()
	var events []InboxEvent
	var present []string
	for _, u := range users {
		if _, ok := cg.member(u); ok && !slices.Contains(present, u) {
			present = append(present, u)
			events = append(events, InboxEvent{User: u, Kind: EventGroupLeft, Payload: mustJSON(GroupRef{Group: g.ID, Reason: reason})})
		}
	}
	if len(present) == 0 {
		return nil
	}
	removed, updated, err := s.gstore.RemoveMembers(ctx, g.App, g.ID, present, events)
	if err != nil {
		return groupNotFound(err, g.ID)
	}
	var ids []string
	for i, u := range present {
		if removed[i] {
			cg.dropMember(u)
			ids = append(ids, u)
		}
	}
	cg.setGroup(mergeStored(cg.snapshot(), updated))
	s.gcache.setMembers(g.App, g.ID, ids, false)
	s.live.DeliverGroupChange(GroupChangeEvent{App: g.App, Group: g.ID, Kind: GroupMembersRemoved, Users: ids})
	return nil
}

// MemberPage is a page of a group's members.
type MemberPage struct {
	Total   int
	Members []Member
	Next    string // Community paging: "" when done
}

// GroupMembers returns members (optionally only some roles), Limit from
// Offset (Community pages with Next instead). NotFound (FieldGroup);
// Forbidden for an AVChatRoom (no member list).
func (s *Service) GroupMembers(app AppID, id string, roles []Role, limit, offset int, next string) (MemberPage, error) {
	cg, err := s.group(app, id)
	if err != nil {
		return MemberPage{}, err
	}
	g := cg.snapshot()
	if !g.Type.StoresMembers() {
		return MemberPage{}, Errorf(Forbidden, FieldMembers, "an AVChatRoom has no member list")
	}
	all := cg.sortedMembers()
	if len(roles) > 0 {
		all = slices.DeleteFunc(all, func(m Member) bool { return !slices.Contains(roles, m.Role) })
	}
	page := MemberPage{Total: len(all)}
	if g.Type == GroupCommunity && next != "" {
		offset = 0
		for i, m := range all {
			if m.User == next {
				offset = i
				break
			}
		}
	}
	if offset < 0 {
		offset = 0
	}
	if limit <= 0 {
		limit = len(all)
	}
	start := min(offset, len(all))
	end := min(start+limit, len(all))
	page.Members = all[start:end]
	if g.Type == GroupCommunity && end < len(all) {
		page.Next = all[end].User
	}
	return page, nil
}

// JoinedGroups returns the groups user is a member of (ids ascending).
// NotFound (FieldUser) when user is not imported.
func (s *Service) JoinedGroups(app AppID, user string) ([]GroupInfo, error) {
	if err := s.needAccount(app, user, FieldUser); err != nil {
		return nil, err
	}
	ids := s.gcache.joinedBy(app, user)
	out := make([]GroupInfo, 0, len(ids))
	for _, id := range ids {
		cg := s.gcache.get(app, id)
		if cg == nil {
			continue
		}
		m, ok := cg.member(user)
		if !ok {
			continue
		}
		out = append(out, GroupInfo{Group: cg.snapshot(), Members: []Member{m}})
	}
	return out, nil
}

// RolesInGroup returns each user's role (RoleNotMember for others).
func (s *Service) RolesInGroup(app AppID, id string, users []string) ([]Role, error) {
	cg, err := s.group(app, id)
	if err != nil {
		return nil, err
	}
	g := cg.snapshot()
	out := make([]Role, len(users))
	for i, u := range users {
		out[i] = RoleNotMember
		if m, ok := cg.member(u); ok {
			out[i] = m.Role
		} else if !g.Type.StoresMembers() && u == g.Owner {
			out[i] = RoleOwner
		}
	}
	return out, nil
}

// MuteMembers mutes users for seconds (0 unmutes; MuteForever has no end).
// A mute survives leaving and joining again. The muted members' devices are
// told. Refusals: NotFound (FieldGroup), Unsupported (Work groups have no
// mute), TooLarge (FieldList).
func (s *Service) MuteMembers(ctx context.Context, app AppID, id string, users []string, seconds int64) error {
	cg, err := s.group(app, id)
	if err != nil {
		return err
	}
	if !cg.snapshot().Type.CanMute() {
		return Errorf(Unsupported, FieldGroup, "Work groups have no mute")
	}
	if len(users) > MaxMuteMembers {
		return Errorf(TooLarge, FieldList, "%d members, limit %d", len(users), MaxMuteMembers)
	}
	if seconds < 0 || seconds > MuteForever {
		return Errorf(Invalid, "MuteTime", "mute time %d", seconds)
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	now := s.Now()
	until := int64(0)
	switch {
	case seconds == MuteForever:
		until = MuteForever
	case seconds > 0:
		until = now + seconds
	}
	var events []InboxEvent
	g, err := s.gstore.UpdateGroup(ctx, app, id, func(g *Group) ([]InboxEvent, error) {
		if g.Mutes == nil {
			g.Mutes = map[string]int64{}
		}
		for u, t := range g.Mutes { // drop expired mutes while here
			if t <= now {
				delete(g.Mutes, u)
			}
		}
		for _, u := range users {
			if until == 0 {
				delete(g.Mutes, u)
			} else {
				g.Mutes[u] = until
			}
			events = append(events, InboxEvent{User: u, Kind: EventGroupMuted, Payload: mustJSON(GroupRef{Group: id, MuteUntil: until})})
		}
		return events, nil
	})
	if err != nil {
		return groupNotFound(err, id)
	}
	cg.setGroup(mergeStored(cg.snapshot(), g))
	s.live.DeliverGroupChange(GroupChangeEvent{App: app, Group: id, Kind: GroupMembersMuted, Users: users, Until: until})
	return nil
}

// MutedMember is one muted member.
type MutedMember struct {
	User  string
	Until int64
}

// MutedMembers returns the members muted now, by user id.
func (s *Service) MutedMembers(app AppID, id string) ([]MutedMember, error) {
	cg, err := s.group(app, id)
	if err != nil {
		return nil, err
	}
	g := cg.snapshot()
	now := s.Now()
	var out []MutedMember
	for u, t := range g.Mutes {
		if t > now {
			out = append(out, MutedMember{User: u, Until: t})
		}
	}
	slices.SortFunc(out, func(a, b MutedMember) int {
		if a.User < b.User {
			return -1
		}
		if a.User > b.User {
			return 1
		}
		return 0
	})
	return out, nil
}

// MemberChange modifies one member; nil fields stay as they are.
type MemberChange struct {
	Role       *Role
	MsgFlag    *string
	NameCard   *string
	MuteTime   *int64 // seconds, as MuteMembers
	AppDefined []KV
}

// ModifyMember changes a member's role, message flag, name card, custom
// fields or mute. Refusals: NotFound (FieldGroup; FieldUser: not a member),
// Invalid (values, making someone Owner, admins in Work groups).
func (s *Service) ModifyMember(ctx context.Context, app AppID, id, user string, ch MemberChange) error {
	cg, err := s.group(app, id)
	if err != nil {
		return err
	}
	g := cg.snapshot()
	if _, ok := cg.member(user); !ok {
		return Errorf(NotFound, FieldUser, "%q is not a member", user)
	}
	if ch.Role != nil {
		if *ch.Role != RoleAdmin && *ch.Role != RoleMember {
			return Errorf(Invalid, "Role", "role %q", *ch.Role)
		}
		if *ch.Role == RoleAdmin && !g.Type.HasAdmins() {
			return Errorf(Invalid, "Role", "a Work group has no admins")
		}
		if user == g.Owner {
			return Errorf(Invalid, "Role", "the owner's role cannot change")
		}
	}
	if ch.MsgFlag != nil && !slices.Contains([]string{"AcceptAndNotify", "AcceptNotNotify", "Discard"}, *ch.MsgFlag) {
		return Errorf(Invalid, "MsgFlag", "message flag %q", *ch.MsgFlag)
	}
	if ch.NameCard != nil && len(*ch.NameCard) > MaxNameCardBytes {
		return Errorf(Invalid, "NameCard", "name card is %d bytes", len(*ch.NameCard))
	}
	if err := validateKVs(ch.AppDefined, MaxMemberDefinedKeys, 64); err != nil {
		return err // before any change: a refused request changes nothing
	}
	if ch.MuteTime != nil {
		if err := s.MuteMembers(ctx, app, id, []string{user}, *ch.MuteTime); err != nil {
			return err
		}
	}
	if ch.Role == nil && ch.MsgFlag == nil && ch.NameCard == nil && ch.AppDefined == nil {
		return nil
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	m, err := s.gstore.UpdateMember(ctx, app, id, user, func(m *Member) ([]InboxEvent, error) {
		if ch.Role != nil {
			m.Role = *ch.Role
		}
		if ch.MsgFlag != nil {
			m.MsgFlag = *ch.MsgFlag
		}
		if ch.NameCard != nil {
			m.NameCard = *ch.NameCard
		}
		m.AppDefined = mergeKVs(m.AppDefined, ch.AppDefined)
		return nil, validateKVs(m.AppDefined, MaxMemberDefinedKeys, 64)
	})
	if err != nil {
		if KindOf(err) == NotFound && FieldOf(err) == "" {
			return Errorf(NotFound, FieldUser, "%q is not a member", user)
		}
		return err
	}
	cg.putMember(m)
	return nil
}

// JoinGroup makes user a member by their own request, where the group lets
// them: AVChatRoom rooms (in memory, while online: present must be called
// per device), and groups whose ApplyJoinOption is FreeAccess. Others need
// an invitation (Forbidden). NotFound (FieldGroup, FieldUser); Duplicate
// when already a member.
func (s *Service) JoinGroup(ctx context.Context, app AppID, id, user string) error {
	cg, err := s.group(app, id)
	if err != nil {
		return err
	}
	if err := s.needAccount(app, user, FieldUser); err != nil {
		return err
	}
	g := cg.snapshot()
	if !g.Type.StoresMembers() {
		cg.mu.Lock()
		cg.online[user]++
		cg.mu.Unlock()
		return nil
	}
	if g.ApplyJoinOption != "FreeAccess" || g.Type == GroupPrivate {
		return Errorf(Forbidden, FieldGroup, "group %q needs an invitation or approval", id)
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	res, err := s.addMembersLocked(ctx, cg, []string{user}, RoleMember)
	if err != nil {
		return err
	}
	if res[0].Result == 2 {
		return Errorf(Duplicate, FieldUser, "%q is already a member", user)
	}
	return nil
}

// LeaveRoom ends one device's presence in an AVChatRoom (the counterpart
// of JoinGroup for those rooms).
func (s *Service) LeaveRoom(app AppID, id, user string) {
	cg := s.gcache.get(app, id)
	if cg == nil {
		return
	}
	cg.mu.Lock()
	defer cg.mu.Unlock()
	if cg.online[user]--; cg.online[user] <= 0 {
		delete(cg.online, user)
	}
}

// QuitGroup removes user from a group by their own request. The owner may
// only quit a Work group. NotFound (FieldGroup; FieldUser: not a member),
// Forbidden (the owner).
func (s *Service) QuitGroup(ctx context.Context, app AppID, id, user string) error {
	cg, err := s.group(app, id)
	if err != nil {
		return err
	}
	g := cg.snapshot()
	if !g.Type.StoresMembers() {
		s.LeaveRoom(app, id, user)
		return nil
	}
	if _, ok := cg.member(user); !ok {
		return Errorf(NotFound, FieldUser, "%q is not a member", user)
	}
	if user == g.Owner && g.Type != GroupPrivate {
		return Errorf(Forbidden, "Owner", "the owner cannot quit; change the owner first")
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	return s.removeMembersLocked(ctx, cg, []string{user}, "quit")
}
