package tim

import (
	"context"

	"github.com/parleyim/parley/internal/core"
)

// Group member commands: add_group_member, delete_group_member,
// get_group_member_info, modify_group_member_info, forbid_send_msg,
// get_group_muted_account (and the legacy get_group_shutted_uin),
// set_unread_msg_num.

// ---- add_group_member

type memberItem struct {
	MemberAccount *string `json:"Member_Account"`
}

type addGroupMemberRequest struct {
	GroupID *string `json:"GroupId"`
	// Silence (1: tell nobody) is accepted and checked; core tells the new
	// members' devices either way, as they must learn they joined.
	Silence    int64        `json:"Silence"`
	MemberList []memberItem `json:"MemberList"`
}

type addResult struct {
	MemberAccount string `json:"Member_Account"`
	Result        int    `json:"Result"`
}

type addGroupMemberResponse struct {
	envelope   `json:",inline"`
	MemberList []addResult `json:"MemberList"`
}

func (h *Handler) addGroupMember(ctx context.Context, c *call) (any, *wireError) {
	var req addGroupMemberRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	if _, werr := flagGroup(req.Silence, "Silence"); werr != nil {
		return nil, werr
	}
	if len(req.MemberList) == 0 {
		return nil, fail(10004, "MemberList is required")
	}
	users := make([]string, len(req.MemberList))
	for i, m := range req.MemberList {
		if m.MemberAccount == nil {
			return nil, fail(10004, "MemberList item without Member_Account")
		}
		users[i] = *m.MemberAccount
	}
	results, err := h.svc.AddMembers(ctx, c.app.ID, id, users)
	if err != nil {
		return nil, c.refuse(err)
	}
	resp := addGroupMemberResponse{envelope: okEnvelope, MemberList: make([]addResult, len(results))}
	for i, r := range results {
		resp.MemberList[i] = addResult{MemberAccount: r.User, Result: r.Result}
	}
	return resp, nil
}

// ---- delete_group_member

type deleteGroupMemberRequest struct {
	GroupID *string `json:"GroupId"`
	// Silence (1: only the removed members are told) is accepted and
	// checked: only the removed members' devices are told in any case.
	Silence            int64    `json:"Silence"`
	Reason             string   `json:"Reason"`
	MemberToDelAccount []string `json:"MemberToDel_Account"`
}

func (h *Handler) deleteGroupMember(ctx context.Context, c *call) (any, *wireError) {
	var req deleteGroupMemberRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	if _, werr := flagGroup(req.Silence, "Silence"); werr != nil {
		return nil, werr
	}
	if len(req.MemberToDelAccount) == 0 {
		return nil, fail(10004, "MemberToDel_Account is required")
	}
	if err := h.svc.DeleteMembers(ctx, c.app.ID, id, req.MemberToDelAccount, req.Reason); err != nil {
		return nil, coreError(deleteMemberCodes, err)
	}
	return okEnvelope, nil
}

// ---- get_group_member_info

// Member page limits: the table says 6000, Communities page by 100.
const (
	maxMemberPage          = 6000
	maxCommunityMemberPage = 100
)

type getGroupMemberInfoRequest struct {
	GroupID                         *string  `json:"GroupId"`
	MemberInfoFilter                []string `json:"MemberInfoFilter"`
	MemberRoleFilter                []string `json:"MemberRoleFilter"`
	AppDefinedDataFilterGroupMember []string `json:"AppDefinedDataFilter_GroupMember"`
	Limit                           *int64   `json:"Limit"`
	Offset                          int64    `json:"Offset"`
	Next                            string   `json:"Next"`
}

type getGroupMemberInfoResponse struct {
	envelope   `json:",inline"`
	MemberNum  int      `json:"MemberNum"`
	MemberList []object `json:"MemberList"`
	Next       *string  `json:"Next,omitzero"` // Communities only
}

func (h *Handler) getGroupMemberInfo(ctx context.Context, c *call) (any, *wireError) {
	var req getGroupMemberInfoRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	var roles []core.Role
	for _, r := range req.MemberRoleFilter {
		switch core.Role(r) {
		case core.RoleOwner, core.RoleAdmin, core.RoleMember:
			roles = append(roles, core.Role(r))
		default:
			return nil, fail(10004, "MemberRoleFilter takes Owner, Admin and Member")
		}
	}
	if req.Offset < 0 {
		return nil, fail(10004, "Offset must not be negative")
	}
	g, _ := h.svc.GroupSnapshot(c.app.ID, id)
	community := g.Type == core.GroupCommunity
	limit := 0
	if req.Limit != nil {
		switch {
		case *req.Limit < 0 || *req.Limit > maxMemberPage:
			return nil, fail(10004, "Limit must be 0 to 6000")
		case community && *req.Limit > maxCommunityMemberPage:
			return nil, fail(10004, "a Community pages members by at most 100")
		}
		limit = int(*req.Limit)
	}
	offset := int(req.Offset)
	if community {
		// Communities page with Next only, 100 at a time by default.
		offset = 0
		if limit == 0 {
			limit = maxCommunityMemberPage
		}
	}
	page, err := h.svc.GroupMembers(c.app.ID, id, roles, limit, offset, req.Next)
	if err != nil {
		return nil, c.refuse(err)
	}
	view := newMemberView(req.MemberInfoFilter, req.AppDefinedDataFilterGroupMember)
	now := h.svc.Now()
	// MemberNum is the group's member count, whatever the role filter.
	total := page.Total
	if len(roles) > 0 {
		if g, ok := h.svc.GroupSnapshot(c.app.ID, id); ok {
			total = g.MemberCount
		}
	}
	resp := getGroupMemberInfoResponse{envelope: okEnvelope, MemberNum: total, MemberList: make([]object, len(page.Members))}
	for i := range page.Members {
		resp.MemberList[i] = view.render(&page.Members[i], now)
	}
	if community {
		next := page.Next
		resp.Next = &next
	}
	return resp, nil
}

// ---- modify_group_member_info

type modifyGroupMemberInfoRequest struct {
	GroupID              *string  `json:"GroupId"`
	MemberAccount        *string  `json:"Member_Account"`
	Role                 *string  `json:"Role"`
	MsgFlag              *string  `json:"MsgFlag"`
	NameCard             *string  `json:"NameCard"`
	MuteTime             *uint32  `json:"MuteTime"`
	ShutUpTime           *uint32  `json:"ShutUpTime"` // legacy name of MuteTime
	AppMemberDefinedData []kvItem `json:"AppMemberDefinedData"`
}

func (h *Handler) modifyGroupMemberInfo(ctx context.Context, c *call) (any, *wireError) {
	var req modifyGroupMemberInfoRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	user, werr := need(req.MemberAccount, "Member_Account")
	if werr != nil {
		return nil, werr
	}
	ch := core.MemberChange{MsgFlag: req.MsgFlag, NameCard: req.NameCard}
	if req.Role != nil {
		r := core.Role(*req.Role)
		ch.Role = &r
	}
	if mute := muteTime(req.MuteTime, req.ShutUpTime); mute != nil {
		ch.MuteTime = mute
	}
	if ch.AppDefined, werr = kvsOf(req.AppMemberDefinedData, "AppMemberDefinedData"); werr != nil {
		return nil, werr
	}
	if err := h.svc.ModifyMember(ctx, c.app.ID, id, user, ch); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

// muteTime picks MuteTime, else the legacy ShutUpTime, as seconds.
func muteTime(current, legacy *uint32) *int64 {
	p := current
	if p == nil {
		p = legacy
	}
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

// ---- forbid_send_msg

type forbidSendMsgRequest struct {
	GroupID        *string  `json:"GroupId"`
	MembersAccount []string `json:"Members_Account"`
	MuteTime       *uint32  `json:"MuteTime"`
	ShutUpTime     *uint32  `json:"ShutUpTime"` // legacy name of MuteTime
	// TopicId names a topic of a Community. Core keeps mutes per group,
	// so a topic mute is checked (the topic must exist) and applies to
	// the whole Community.
	TopicID *string `json:"TopicId"`
}

func (h *Handler) forbidSendMsg(ctx context.Context, c *call) (any, *wireError) {
	var req forbidSendMsgRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	if len(req.MembersAccount) == 0 {
		return nil, fail(10004, "Members_Account is required")
	}
	if len(req.MembersAccount) > core.MaxMuteMembers {
		return nil, fail(10005, "more than 500 accounts in Members_Account")
	}
	seconds := muteTime(req.MuteTime, req.ShutUpTime)
	if seconds == nil {
		return nil, fail(10004, "MuteTime is required")
	}
	if werr := h.checkTopicRef(c, id, req.TopicID); werr != nil {
		return nil, werr
	}
	if err := h.svc.MuteMembers(ctx, c.app.ID, id, req.MembersAccount, *seconds); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

// checkTopicRef checks that an optional TopicId names a topic of the group.
func (h *Handler) checkTopicRef(c *call, group string, topic *string) *wireError {
	if topic == nil || *topic == "" {
		return nil
	}
	topics, err := h.svc.Topics(c.app.ID, group, []string{*topic})
	if core.KindOf(err) == core.Unsupported {
		return fail(10004, "TopicId given for a group without topics")
	}
	if err != nil {
		return coreError(groupCodes, err)
	}
	if len(topics) == 0 {
		return fail(10010, "no such topic")
	}
	return nil
}

// ---- get_group_muted_account, get_group_shutted_uin

type mutedAccountRequest struct {
	GroupID *string `json:"GroupId"`
	TopicID *string `json:"TopicId"` // checked; mutes are per group
}

type mutedAccount struct {
	MemberAccount string `json:"Member_Account"`
	MutedUntil    int64  `json:"MutedUntil"`
}

type getGroupMutedAccountResponse struct {
	envelope         `json:",inline"`
	GroupID          string         `json:"GroupId"`
	MutedAccountList []mutedAccount `json:"MutedAccountList"`
}

type shuttedUin struct {
	MemberAccount string `json:"Member_Account"`
	ShuttedUntil  int64  `json:"ShuttedUntil"`
}

type getGroupShuttedUinResponse struct {
	envelope       `json:",inline"`
	GroupID        string       `json:"GroupId"`
	ShuttedUinList []shuttedUin `json:"ShuttedUinList"`
}

func (h *Handler) mutedMembers(c *call) (string, []core.MutedMember, *wireError) {
	var req mutedAccountRequest
	if err := c.decode(&req, groupFields); err != nil {
		return "", nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return "", nil, werr
	}
	if werr := h.checkTopicRef(c, id, req.TopicID); werr != nil {
		return "", nil, werr
	}
	muted, err := h.svc.MutedMembers(c.app.ID, id)
	if err != nil {
		return "", nil, c.refuse(err)
	}
	return id, muted, nil
}

func (h *Handler) getGroupMutedAccount(ctx context.Context, c *call) (any, *wireError) {
	id, muted, werr := h.mutedMembers(c)
	if werr != nil {
		return nil, werr
	}
	resp := getGroupMutedAccountResponse{envelope: okEnvelope, GroupID: id, MutedAccountList: make([]mutedAccount, len(muted))}
	for i, m := range muted {
		resp.MutedAccountList[i] = mutedAccount{MemberAccount: m.User, MutedUntil: m.Until}
	}
	return resp, nil
}

// getGroupShuttedUin is the legacy name of get_group_muted_account, with
// the legacy answer (the dobyte Go SDK still calls it).
func (h *Handler) getGroupShuttedUin(ctx context.Context, c *call) (any, *wireError) {
	id, muted, werr := h.mutedMembers(c)
	if werr != nil {
		return nil, werr
	}
	resp := getGroupShuttedUinResponse{envelope: okEnvelope, GroupID: id, ShuttedUinList: make([]shuttedUin, len(muted))}
	for i, m := range muted {
		resp.ShuttedUinList[i] = shuttedUin{MemberAccount: m.User, ShuttedUntil: m.Until}
	}
	return resp, nil
}

// ---- set_unread_msg_num

type setUnreadMsgNumRequest struct {
	GroupID       *string `json:"GroupId"`
	MemberAccount *string `json:"Member_Account"`
	UnreadMsgNum  *int64  `json:"UnreadMsgNum"`
}

func (h *Handler) setUnreadMsgNum(ctx context.Context, c *call) (any, *wireError) {
	var req setUnreadMsgNumRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	user, werr := need(req.MemberAccount, "Member_Account")
	if werr != nil {
		return nil, werr
	}
	n, werr := need(req.UnreadMsgNum, "UnreadMsgNum")
	if werr != nil {
		return nil, werr
	}
	if n < 0 || n > 1<<31-1 {
		return nil, fail(10004, "UnreadMsgNum must not be negative")
	}
	if err := h.svc.SetGroupUnread(ctx, c.app.ID, id, user, int(n)); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}
