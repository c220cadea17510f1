package tim

import (
	"context"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/core"
)

// Group commands (reference §3.4): v4/group_open_http_svc/*, the topic
// commands of v4/million_group_open_http_svc/, v4/openim/modify_group_msg
// and the group extension commands of v4/openim_msg_ext_http_svc/. This
// file registers them, holds what they share and the group management
// commands; members, messages, receipts and extensions, and topics have
// their own files.

func (h *Handler) registerGroups() {
	const g = "group_open_http_svc/"
	// management
	h.handle(g+"create_group", &groupFamily, h.createGroup)
	h.handle(g+"destroy_group", &groupFamily, h.destroyGroup)
	h.handle(g+"get_group_info", &groupFamily, h.getGroupInfo)
	h.handle(g+"modify_group_base_info", &groupFamily, h.modifyGroupBaseInfo)
	h.handle(g+"change_group_owner", &groupFamily, h.changeGroupOwner)
	h.handle(g+"get_joined_group_list", &groupFamily, h.getJoinedGroupList)
	h.handle(g+"get_role_in_group", &groupFamily, h.getRoleInGroup)
	// members
	h.handle(g+"add_group_member", &groupFamily, h.addGroupMember)
	h.handle(g+"delete_group_member", &groupFamily, h.deleteGroupMember)
	h.handle(g+"get_group_member_info", &groupFamily, h.getGroupMemberInfo)
	h.handle(g+"modify_group_member_info", &groupFamily, h.modifyGroupMemberInfo)
	h.handle(g+"forbid_send_msg", &groupFamily, h.forbidSendMsg)
	h.handle(g+"get_group_muted_account", &groupFamily, h.getGroupMutedAccount)
	h.handle(g+"get_group_shutted_uin", &groupFamily, h.getGroupShuttedUin)
	h.handle(g+"set_unread_msg_num", &groupFamily, h.setUnreadMsgNum)
	// messages
	h.handle(g+"send_group_msg", &groupFamily, h.sendGroupMsg)
	h.handle(g+"send_group_system_notification", &groupFamily, h.sendGroupSystemNotification)
	h.handle(g+"group_msg_recall", &groupFamily, h.groupMsgRecall)
	h.handle(g+"group_msg_get_simple", &groupFamily, h.groupMsgGetSimple)
	h.handle(g+"import_group_msg", &groupFamily, h.importGroupMsg)
	h.handle(g+"clear_group_msg", &groupFamily, h.clearGroupMsg)
	h.handle(g+"delete_group_msg_by_sender", &groupFamily, h.deleteGroupMsgBySender)
	h.handle("openim/modify_group_msg", &openimFamily, h.modifyGroupMsg)
	// receipts and extensions
	h.handle(g+"group_msg_receipt", &groupFamily, h.groupMsgReceipt)
	h.handle(g+"get_group_msg_receipt", &groupFamily, h.getGroupMsgReceipt)
	h.handle(g+"get_group_msg_receipt_detail", &groupFamily, h.getGroupMsgReceiptDetail)
	h.handle("openim_msg_ext_http_svc/group_set_key_values", &extFamily, h.groupSetKeyValues)
	h.handle("openim_msg_ext_http_svc/group_get_key_values", &extFamily, h.groupGetKeyValues)
	// topics
	const m = "million_group_open_http_svc/"
	h.handle(m+"create_topic", &groupFamily, h.createTopic)
	h.handle(m+"destroy_topic", &groupFamily, h.destroyTopic)
	h.handle(m+"get_topic", &groupFamily, h.getTopic)
}

// groupFields: in the group service a member of the wrong type is an
// invalid parameter (the family's invalid code), whatever the member.
var groupFields fieldCodes

// groupIDOf checks a GroupId member: required, and shaped as an id can be
// (1 to 48 bytes of printable ASCII), else 10015.
func groupIDOf(p *string) (string, *wireError) {
	if p == nil {
		return "", fail(10004, "GroupId is required")
	}
	if !groupIDShape(*p) {
		return "", fail(10015, "invalid group ID")
	}
	return *p, nil
}

func groupIDShape(id string) bool {
	if id == "" || len(id) > core.MaxGroupIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x20 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// need reports a missing required member as an invalid parameter.
func need[T any](p *T, name string) (T, *wireError) {
	if p == nil {
		var zero T
		return zero, fail(10004, name+" is required")
	}
	return *p, nil
}

// flagGroup checks a 0/1 member of the group service.
func flagGroup(v int64, name string) (bool, *wireError) {
	switch v {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fail(10004, name+" must be 0 or 1")
}

// object is a JSON object that keeps its members in the order they were
// added: answers whose members depend on a filter are built with it.
type object []objectMember

type objectMember struct {
	name  string
	value any
}

func (o *object) add(name string, value any) { *o = append(*o, objectMember{name, value}) }

// MarshalJSONTo writes the members in order.
func (o object) MarshalJSONTo(enc *jsontext.Encoder) error {
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for _, m := range o {
		if err := enc.WriteToken(jsontext.String(m.name)); err != nil {
			return err
		}
		if err := json.MarshalEncode(enc, m.value); err != nil {
			return err
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}

// kvItem is an AppDefinedData (AppMemberDefinedData) pair.
type kvItem struct {
	Key   *string `json:"Key"`
	Value string  `json:"Value"`
}

type kvOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func kvsOf(items []kvItem, name string) ([]core.KV, *wireError) {
	if items == nil {
		return nil, nil
	}
	out := make([]core.KV, 0, len(items))
	for _, it := range items {
		if it.Key == nil {
			return nil, fail(10004, name+" item without Key")
		}
		out = append(out, core.KV{Key: *it.Key, Value: it.Value})
	}
	return out, nil
}

// kvsOut renders custom fields, only the keys in keep when keep is not nil.
func kvsOut(kvs []core.KV, keep set) []kvOut {
	out := []kvOut{}
	for _, kv := range kvs {
		if keep == nil || keep[kv.Key] {
			out = append(out, kvOut{kv.Key, kv.Value})
		}
	}
	return out
}

// set is a filter: nil means "everything".
type set map[string]bool

func setOf(names []string) set {
	if names == nil {
		return nil
	}
	s := set{}
	for _, n := range names {
		s[n] = true
	}
	return s
}

func (s set) has(name string) bool { return s == nil || s[name] }

// onOff renders MuteAllMember.
func onOff(b bool) string {
	if b {
		return "On"
	}
	return "Off"
}

// baseInfoKeys are get_group_info's base-info members, in answer order.
var baseInfoKeys = []string{
	"Type", "Name", "Introduction", "Notification", "FaceUrl", "Owner_Account", "CreateTime", "InfoSeq",
	"LastInfoTime", "LastMsgTime", "NextMsgSeq", "MemberNum", "MaxMemberNum", "ApplyJoinOption",
	"InviteJoinOption", "MuteAllMember", "SupportTopic",
}

// baseInfo adds g's base-info members that keep lets through to o.
// InviteJoinOption is left out when never set, SupportTopic outside
// Communities.
func baseInfo(o *object, g *core.Group, keep set) {
	for _, k := range baseInfoKeys {
		if !keep.has(k) {
			continue
		}
		switch k {
		case "Type":
			o.add(k, string(g.Type))
		case "Name":
			o.add(k, g.Name)
		case "Introduction":
			o.add(k, g.Introduction)
		case "Notification":
			o.add(k, g.Notification)
		case "FaceUrl":
			o.add(k, g.FaceURL)
		case "Owner_Account":
			o.add(k, g.Owner)
		case "CreateTime":
			o.add(k, g.CreateTime)
		case "InfoSeq":
			o.add(k, g.InfoSeq)
		case "LastInfoTime":
			o.add(k, g.LastInfoTime)
		case "LastMsgTime":
			o.add(k, g.LastMsgTime)
		case "NextMsgSeq":
			o.add(k, max(g.NextSeq, 1))
		case "MemberNum":
			o.add(k, g.MemberCount)
		case "MaxMemberNum":
			o.add(k, g.MaxMembers)
		case "ApplyJoinOption":
			o.add(k, g.ApplyJoinOption)
		case "InviteJoinOption":
			if g.InviteJoinOption != "" {
				o.add(k, g.InviteJoinOption)
			}
		case "MuteAllMember":
			o.add(k, onOff(g.MuteAll))
		case "SupportTopic":
			if g.Type == core.GroupCommunity {
				o.add(k, boolInt(g.SupportTopic))
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// memberView says which member keys an answer carries.
type memberView struct {
	fields  set  // member keys; nil: all
	withApp bool // AppMemberDefinedData
	appKeys set  // its keys; nil: all
}

// fullMembers is the view without filters.
var fullMembers = memberView{withApp: true}

// newMemberView builds the view of MemberInfoFilter and
// AppDefinedDataFilter_GroupMember: without either, everything; with
// MemberInfoFilter, the listed keys (Member_Account always); custom fields
// when listed or filtered by key.
func newMemberView(fields, appKeys []string) memberView {
	if fields == nil && appKeys == nil {
		return fullMembers
	}
	v := memberView{fields: setOf(fields), appKeys: setOf(appKeys)}
	if v.fields == nil {
		v.fields = set{}
	}
	v.withApp = appKeys != nil || v.fields["AppMemberDefinedData"]
	return v
}

// memberKeys are the member keys in answer order.
var memberKeys = []string{"Role", "JoinTime", "MsgSeq", "MsgFlag", "LastSendMsgTime", "MuteUntil", "NameCard"}

// render renders m as the view says (see addMemberField).
func (v memberView) render(m *core.Member, now int64) object {
	o := object{{"Member_Account", m.User}}
	for _, k := range memberKeys {
		if !v.fields.has(k) && !(k == "MuteUntil" && v.fields.has("ShutUpUntil")) {
			continue
		}
		addMemberField(&o, k, m, now)
	}
	if v.withApp {
		o.add("AppMemberDefinedData", kvsOut(m.AppDefined, v.appKeys))
	}
	return o
}

// addMemberField adds m's field k to o, as a member list and a joined
// group's SelfInfo both show it, and reports whether k is such a field.
// MuteUntil is 0 once a mute is over; the legacy ShutUpUntil goes with it.
func addMemberField(o *object, k string, m *core.Member, now int64) bool {
	switch k {
	case "Role":
		o.add(k, string(m.Role))
	case "JoinTime":
		o.add(k, m.JoinTime)
	case "MsgSeq":
		o.add(k, m.ReadSeq)
	case "MsgFlag":
		o.add(k, m.MsgFlag)
	case "LastSendMsgTime":
		o.add(k, m.LastSendMsgTime)
	case "NameCard":
		o.add(k, m.NameCard)
	case "MuteUntil":
		until := m.MuteUntil
		if until <= now {
			until = 0
		}
		o.add("MuteUntil", until)
		o.add("ShutUpUntil", until)
	default:
		return false
	}
	return true
}

// ---- create_group

type createMember struct {
	MemberAccount        *string  `json:"Member_Account"`
	Role                 string   `json:"Role"`
	AppMemberDefinedData []kvItem `json:"AppMemberDefinedData"`
	NameCard             string   `json:"NameCard"`
	// The dobyte Go SDK sends these legacy members too. The server stamps
	// join times itself and a new member is not muted, so JoinTime and
	// ShutUpUntil are accepted and ignored.
	JoinTime    int64 `json:"JoinTime"`
	ShutUpUntil int64 `json:"ShutUpUntil"`
}

type createGroupRequest struct {
	OwnerAccount     *string        `json:"Owner_Account"`
	Type             *string        `json:"Type"`
	GroupID          *string        `json:"GroupId"`
	Name             *string        `json:"Name"`
	Introduction     string         `json:"Introduction"`
	Notification     string         `json:"Notification"`
	FaceURL          string         `json:"FaceUrl"`
	MaxMemberCount   *int64         `json:"MaxMemberCount"`
	ApplyJoinOption  string         `json:"ApplyJoinOption"`
	InviteJoinOption string         `json:"InviteJoinOption"`
	AppDefinedData   []kvItem       `json:"AppDefinedData"`
	MemberList       []createMember `json:"MemberList"`
	SupportTopic     int64          `json:"SupportTopic"`
}

type createGroupResponse struct {
	envelope `json:",inline"`
	GroupID  string `json:"GroupId"`
	// Community groups also answer their Type and HugeGroupFlag. A
	// Community made here is never a "huge" one (over the plan's member
	// cap), so HugeGroupFlag is 0.
	Type          string `json:"Type,omitempty"`
	HugeGroupFlag *int   `json:"HugeGroupFlag,omitzero"`
}

func (h *Handler) createGroup(ctx context.Context, c *call) (any, *wireError) {
	var req createGroupRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	typeName, werr := need(req.Type, "Type")
	if werr != nil {
		return nil, werr
	}
	typ, ok := core.ParseGroupType(typeName)
	if !ok {
		return nil, fail(10004, "Type must be Private (Work), Public, ChatRoom (Meeting), AVChatRoom or Community")
	}
	name, werr := need(req.Name, "Name")
	if werr != nil {
		return nil, werr
	}
	supportTopic, werr := flagGroup(req.SupportTopic, "SupportTopic")
	if werr != nil {
		return nil, werr
	}
	if supportTopic && typ != core.GroupCommunity {
		return nil, fail(10004, "SupportTopic is for Community groups only")
	}
	cr := &core.CreateGroupRequest{
		App: c.app.ID, Type: typ, Name: name, Introduction: req.Introduction, Notification: req.Notification,
		FaceURL: req.FaceURL, ApplyJoinOption: req.ApplyJoinOption, InviteJoinOption: req.InviteJoinOption,
		SupportTopic: supportTopic,
	}
	if req.OwnerAccount != nil {
		cr.Owner = *req.OwnerAccount
	}
	if req.GroupID != nil {
		cr.ID = *req.GroupID
		if cr.ID == "" {
			return nil, fail(10015, "GroupId is empty")
		}
	}
	if req.MaxMemberCount != nil {
		if *req.MaxMemberCount <= 0 || *req.MaxMemberCount > 1<<31-1 {
			return nil, fail(10004, "MaxMemberCount must be positive")
		}
		cr.MaxMembers = int(*req.MaxMemberCount)
	}
	if cr.AppDefined, werr = kvsOf(req.AppDefinedData, "AppDefinedData"); werr != nil {
		return nil, werr
	}
	if len(req.MemberList) > core.MaxCreateMembers {
		return nil, fail(10005, "more than 100 members in MemberList")
	}
	for _, m := range req.MemberList {
		if m.MemberAccount == nil {
			return nil, fail(10004, "MemberList item without Member_Account")
		}
		mem := core.Member{User: *m.MemberAccount, Role: core.Role(m.Role), NameCard: m.NameCard}
		if mem.AppDefined, werr = kvsOf(m.AppMemberDefinedData, "AppMemberDefinedData"); werr != nil {
			return nil, werr
		}
		cr.Members = append(cr.Members, mem)
	}
	g, err := h.svc.CreateGroup(ctx, cr)
	if err != nil {
		return nil, c.refuse(err)
	}
	resp := createGroupResponse{envelope: okEnvelope, GroupID: g.ID}
	if g.Type == core.GroupCommunity {
		zero := 0
		resp.Type, resp.HugeGroupFlag = string(g.Type), &zero
	}
	return resp, nil
}

// ---- destroy_group

type groupRef struct {
	GroupID *string `json:"GroupId"`
}

func (h *Handler) destroyGroup(ctx context.Context, c *call) (any, *wireError) {
	var req groupRef
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	if err := h.svc.DestroyGroup(ctx, c.app.ID, id); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

// ---- get_group_info

// maxGroupInfo is how many groups one get_group_info asks for at most.
const maxGroupInfo = 50

type responseFilter struct {
	GroupBaseInfoFilter             []string `json:"GroupBaseInfoFilter"`
	MemberInfoFilter                []string `json:"MemberInfoFilter"`
	AppDefinedDataFilterGroup       []string `json:"AppDefinedDataFilter_Group"`
	AppDefinedDataFilterGroupMember []string `json:"AppDefinedDataFilter_GroupMember"`
	SelfInfoFilter                  []string `json:"SelfInfoFilter"` // get_joined_group_list
}

type getGroupInfoRequest struct {
	GroupIDList    []string        `json:"GroupIdList"`
	ResponseFilter *responseFilter `json:"ResponseFilter"`
}

type getGroupInfoResponse struct {
	envelope  `json:",inline"`
	GroupInfo []object `json:"GroupInfo"`
}

// infoView says which parts of a group get_group_info answers. Without a
// ResponseFilter, everything; with one, each part only when its filter is
// there, and then only what the filter lists.
type infoView struct {
	base        set
	withBase    bool
	members     memberView
	withMembers bool
	app         set
	withApp     bool
}

func newInfoView(f *responseFilter) infoView {
	if f == nil {
		return infoView{withBase: true, members: fullMembers, withMembers: true, withApp: true}
	}
	memberApp := f.AppDefinedDataFilterGroupMember
	v := infoView{
		base: setOf(f.GroupBaseInfoFilter), withBase: f.GroupBaseInfoFilter != nil,
		withMembers: f.MemberInfoFilter != nil || memberApp != nil,
		app:         setOf(f.AppDefinedDataFilterGroup), withApp: f.AppDefinedDataFilterGroup != nil,
	}
	// "Account" is the member filter's name for Member_Account in the
	// reference's example; every item names its member anyway.
	v.members = newMemberView(f.MemberInfoFilter, memberApp)
	if v.withBase && v.base["AppDefinedData"] && !v.withApp {
		v.withApp = true
	}
	if v.withBase && v.base["MemberList"] && !v.withMembers {
		v.withMembers, v.members = true, fullMembers
	}
	return v
}

func (h *Handler) getGroupInfo(ctx context.Context, c *call) (any, *wireError) {
	var req getGroupInfoRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	if len(req.GroupIDList) == 0 {
		return nil, fail(10004, "GroupIdList is required")
	}
	if len(req.GroupIDList) > maxGroupInfo {
		return nil, fail(10004, "more than 50 groups in GroupIdList")
	}
	view := newInfoView(req.ResponseFilter)
	now := h.svc.Now()
	resp := getGroupInfoResponse{envelope: okEnvelope, GroupInfo: make([]object, 0, len(req.GroupIDList))}
	var lookup []string
	for _, id := range req.GroupIDList {
		if groupIDShape(id) {
			lookup = append(lookup, id)
		}
	}
	infos := h.svc.Groups(c.app.ID, lookup)
	for _, id := range req.GroupIDList {
		o := object{{"GroupId", id}}
		if !groupIDShape(id) {
			o.add("ErrorCode", 10015)
			o.add("ErrorInfo", "invalid group ID")
			resp.GroupInfo = append(resp.GroupInfo, o)
			continue
		}
		info := infos[0]
		infos = infos[1:]
		if info.Err != nil {
			werr := c.refuse(info.Err)
			o.add("ErrorCode", werr.Code)
			o.add("ErrorInfo", werr.Info)
			resp.GroupInfo = append(resp.GroupInfo, o)
			continue
		}
		o.add("ErrorCode", 0)
		o.add("ErrorInfo", "")
		if view.withBase {
			baseInfo(&o, &info.Group, view.base)
		}
		if view.withApp {
			o.add("AppDefinedData", kvsOut(info.Group.AppDefined, view.app))
		}
		if view.withMembers {
			list := make([]object, len(info.Members))
			for i := range info.Members {
				list[i] = view.members.render(&info.Members[i], now)
			}
			o.add("MemberList", list)
		}
		resp.GroupInfo = append(resp.GroupInfo, o)
	}
	return resp, nil
}

// ---- modify_group_base_info

type modifyGroupBaseInfoRequest struct {
	GroupID          *string  `json:"GroupId"`
	Name             *string  `json:"Name"`
	Introduction     *string  `json:"Introduction"`
	Notification     *string  `json:"Notification"`
	FaceURL          *string  `json:"FaceUrl"`
	MaxMemberNum     *int64   `json:"MaxMemberNum"`
	ApplyJoinOption  *string  `json:"ApplyJoinOption"`
	InviteJoinOption *string  `json:"InviteJoinOption"`
	MuteAllMember    *string  `json:"MuteAllMember"`
	ShutUpAllMember  *string  `json:"ShutUpAllMember"` // legacy name of MuteAllMember
	AppDefinedData   []kvItem `json:"AppDefinedData"`
}

func (h *Handler) modifyGroupBaseInfo(ctx context.Context, c *call) (any, *wireError) {
	var req modifyGroupBaseInfoRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	ch := core.GroupChange{
		Name: req.Name, Introduction: req.Introduction, Notification: req.Notification, FaceURL: req.FaceURL,
		ApplyJoinOption: req.ApplyJoinOption, InviteJoinOption: req.InviteJoinOption,
	}
	if req.MaxMemberNum != nil {
		if *req.MaxMemberNum <= 0 || *req.MaxMemberNum > 1<<31-1 {
			return nil, fail(10004, "MaxMemberNum must be positive")
		}
		n := int(*req.MaxMemberNum)
		ch.MaxMembers = &n
	}
	mute := req.MuteAllMember
	if mute == nil {
		mute = req.ShutUpAllMember
	}
	if mute != nil {
		var on bool
		switch *mute {
		case "On":
			on = true
		case "Off":
		default:
			return nil, fail(10004, "MuteAllMember must be On or Off")
		}
		ch.MuteAll = &on
	}
	if ch.AppDefined, werr = kvsOf(req.AppDefinedData, "AppDefinedData"); werr != nil {
		return nil, werr
	}
	if _, err := h.svc.ModifyGroup(ctx, c.app.ID, id, ch); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

// ---- change_group_owner

type changeGroupOwnerRequest struct {
	GroupID         *string `json:"GroupId"`
	NewOwnerAccount *string `json:"NewOwner_Account"`
}

func (h *Handler) changeGroupOwner(ctx context.Context, c *call) (any, *wireError) {
	var req changeGroupOwnerRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	owner, werr := need(req.NewOwnerAccount, "NewOwner_Account")
	if werr != nil {
		return nil, werr
	}
	if err := h.svc.ChangeOwner(ctx, c.app.ID, id, owner); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

// ---- get_joined_group_list

type getJoinedGroupListRequest struct {
	MemberAccount      *string         `json:"Member_Account"`
	Limit              *int64          `json:"Limit"`
	Offset             int64           `json:"Offset"`
	GroupType          *string         `json:"GroupType"`
	ResponseFilter     *responseFilter `json:"ResponseFilter"`
	WithHugeGroups     int64           `json:"WithHugeGroups"`     // accepted; every group is listed
	WithNoActiveGroups int64           `json:"WithNoActiveGroups"` // accepted; every group is listed
}

type getJoinedGroupListResponse struct {
	envelope    `json:",inline"`
	TotalCount  int      `json:"TotalCount"`
	GroupIDList []object `json:"GroupIdList"`
}

// selfInfoKeys are SelfInfo's members in answer order.
var selfInfoKeys = []string{"Role", "JoinTime", "MsgFlag", "MsgSeq", "NameCard", "MuteUntil", "UnreadMsgNum"}

func (h *Handler) getJoinedGroupList(ctx context.Context, c *call) (any, *wireError) {
	var req getJoinedGroupListRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	user, werr := need(req.MemberAccount, "Member_Account")
	if werr != nil {
		return nil, werr
	}
	if req.Offset < 0 || (req.Limit != nil && *req.Limit < 0) {
		return nil, fail(10004, "Limit and Offset must not be negative")
	}
	var only core.GroupType
	if req.GroupType != nil && *req.GroupType != "" {
		t, ok := core.ParseGroupType(*req.GroupType)
		if !ok {
			return nil, fail(10004, "unknown GroupType")
		}
		only = t
	}
	groups, err := h.svc.JoinedGroups(c.app.ID, user)
	if err != nil {
		return nil, c.refuse(err)
	}
	if only != "" {
		groups = slices.DeleteFunc(groups, func(gi core.GroupInfo) bool { return gi.Group.Type != only })
	}
	resp := getJoinedGroupListResponse{envelope: okEnvelope, TotalCount: len(groups), GroupIDList: []object{}}
	start, end := int(min(req.Offset, int64(len(groups)))), len(groups)
	if req.Limit != nil && *req.Limit > 0 {
		end = int(min(int64(start)+*req.Limit, int64(len(groups))))
	}
	var base, self []string
	if req.ResponseFilter != nil {
		base, self = req.ResponseFilter.GroupBaseInfoFilter, req.ResponseFilter.SelfInfoFilter
	}
	now := h.svc.Now()
	for _, gi := range groups[start:end] {
		o := object{{"GroupId", gi.Group.ID}}
		if base != nil {
			baseInfo(&o, &gi.Group, setOf(base))
		}
		if self != nil && len(gi.Members) == 1 {
			o.add("SelfInfo", h.selfInfo(c, &gi, setOf(self), now))
		}
		resp.GroupIDList = append(resp.GroupIDList, o)
	}
	return resp, nil
}

// selfInfo renders the member's own state in a joined group.
func (h *Handler) selfInfo(c *call, gi *core.GroupInfo, keep set, now int64) object {
	m := &gi.Members[0]
	var o object
	for _, k := range selfInfoKeys {
		if !keep[k] && !(k == "MuteUntil" && keep["ShutUpUntil"]) {
			continue
		}
		if addMemberField(&o, k, m, now) {
			continue
		}
		if k == "UnreadMsgNum" {
			n, err := h.svc.GroupUnread(c.app.ID, gi.Group.ID, m.User)
			if err != nil {
				n = 0
			}
			o.add(k, n)
		}
	}
	if o == nil {
		o = object{}
	}
	return o
}

// ---- get_role_in_group

// maxRoleAccounts bounds get_role_in_group's User_Account.
const maxRoleAccounts = 500

type getRoleInGroupRequest struct {
	GroupID     *string  `json:"GroupId"`
	UserAccount []string `json:"User_Account"`
}

type memberRole struct {
	MemberAccount string `json:"Member_Account"`
	Role          string `json:"Role"`
}

type getRoleInGroupResponse struct {
	envelope   `json:",inline"`
	UserIDList []memberRole `json:"UserIdList"`
}

func (h *Handler) getRoleInGroup(ctx context.Context, c *call) (any, *wireError) {
	var req getRoleInGroupRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	if len(req.UserAccount) == 0 {
		return nil, fail(10004, "User_Account is required")
	}
	if len(req.UserAccount) > maxRoleAccounts {
		return nil, fail(10005, "more than 500 accounts in User_Account")
	}
	roles, err := h.svc.RolesInGroup(c.app.ID, id, req.UserAccount)
	if err != nil {
		return nil, c.refuse(err)
	}
	resp := getRoleInGroupResponse{envelope: okEnvelope, UserIDList: make([]memberRole, len(roles))}
	for i, r := range roles {
		resp.UserIDList[i] = memberRole{MemberAccount: req.UserAccount[i], Role: string(r)}
	}
	return resp, nil
}
