package gateway

import (
	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/protocol"
)

// Group requests devices make.

func init() {
	ops[protocol.OpGroups] = opGroups
	ops[protocol.OpGroupSync] = opGroupSync
	ops[protocol.OpGroupSend] = opGroupSend
	ops[protocol.OpGroupRead] = opGroupRead
	ops[protocol.OpGroupHistory] = opGroupHistory
	ops[protocol.OpGroupJoin] = opGroupJoin
	ops[protocol.OpGroupQuit] = opGroupQuit
}

func opGroups(s *session, data []byte) (any, *protocol.Error) {
	var f protocol.Frame
	if err := decodeOp(data, &f); err != nil {
		return nil, err
	}
	infos, err := s.g.svc.JoinedGroups(s.key.app, s.key.user)
	if err != nil {
		return nil, refusal(err)
	}
	answer := protocol.GroupsOK{Frame: ok(f.ID), Groups: make([]protocol.GroupSummary, 0, len(infos))}
	for _, in := range infos {
		g, m := in.Group, in.Members[0]
		unread, _ := s.g.svc.GroupUnread(s.key.app, g.ID, s.key.user)
		answer.Groups = append(answer.Groups, protocol.GroupSummary{
			Group: g.ID, Type: string(g.Type), Name: g.Name, LastSeq: max(g.NextSeq, 1) - 1,
			ReadSeq: m.ReadSeq, Unread: unread, AtMe: m.AtMeSeq > m.ReadSeq, AtAll: g.AtAllSeq > m.ReadSeq,
		})
	}
	return answer, nil
}

func opGroupSync(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.GroupSync
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	limit := req.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, core.MaxSyncBatch-1) // one more is read to tell "more"

	ctx, cancel := s.requestContext()
	defer cancel()
	msgs, err := s.g.svc.GroupMessagesAfter(ctx, s.key.app, req.Group, req.Topic, s.key.user, req.After, limit+1)
	if err != nil {
		return nil, refusal(err)
	}
	answer := protocol.GroupSyncOK{Frame: ok(req.ID), Messages: []protocol.GroupMessage{}}
	if len(msgs) > limit {
		msgs, answer.More = msgs[:limit], true
	}
	for i := range msgs {
		answer.Messages = append(answer.Messages, *toGroupMessage(&msgs[i]))
	}
	return answer, nil
}

var priorities = map[string]core.Priority{"": core.PriorityNormal, "High": core.PriorityHigh,
	"Normal": core.PriorityNormal, "Low": core.PriorityLow, "Lowest": core.PriorityLowest}

func opGroupSend(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.GroupSend
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	prio, okp := priorities[req.Priority]
	if !okp {
		return nil, &protocol.Error{Code: protocol.CodeInvalid, Message: "priority must be High, Normal, Low or Lowest", Field: "priority"}
	}
	if len(req.Body) == 0 {
		return nil, &protocol.Error{Code: protocol.CodeInvalid, Message: "body is missing", Field: "body"}
	}
	send := &core.GroupSend{
		App: s.key.app, Group: req.Group, Topic: req.Topic, From: s.key.user, Random: req.Random, Priority: prio,
		Body: req.Body, CloudCustomData: req.CloudCustomData, OnlineOnly: req.OnlineOnly, NoUnread: req.NoUnread,
		NoLastMsg: req.NoLastMsg, To: req.To, NeedReadReceipt: req.NeedReadReceipt, SupportExtension: req.SupportExt,
	}
	if req.AtAll {
		send.At = append(send.At, core.GroupAt{All: true})
	}
	for _, u := range req.AtUsers {
		send.At = append(send.At, core.GroupAt{User: u})
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	sent, err := s.g.svc.SendGroupMessage(ctx, send)
	if err != nil {
		return nil, refusal(err)
	}
	return protocol.GroupSent{Frame: ok(req.ID), Seq: sent.Seq, Time: sent.Time, DropReason: sent.DropReason}, nil
}

func opGroupRead(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.GroupRead
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	unread, err := s.g.svc.MarkGroupRead(ctx, s.key.app, req.Group, s.key.user, req.Seq)
	if err != nil {
		return nil, refusal(err)
	}
	return protocol.ReadOK{Frame: ok(req.ID), Unread: unread}, nil
}

func opGroupHistory(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.GroupHistory
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	if _, isMember := s.memberOf(req.Group); !isMember {
		return nil, &protocol.Error{Code: protocol.CodeForbidden, Message: "not a member of the group", Field: "group"}
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	limit := req.Limit
	if limit <= 0 {
		limit = core.MaxGroupHistoryPage
	}
	page, err := s.g.svc.GroupHistory(ctx, core.GroupHistoryRequest{App: s.key.app, Group: req.Group, Topic: req.Topic,
		BeforeSeq: req.BeforeSeq, Limit: limit, WithRecalled: true, ForMember: s.key.user})
	if err != nil {
		return nil, refusal(err)
	}
	answer := protocol.GroupHistoryOK{Frame: ok(req.ID), Messages: make([]protocol.GroupMessage, len(page.Messages)), Finished: page.Finished}
	for i := range page.Messages {
		answer.Messages[i] = *toGroupMessage(&page.Messages[i])
	}
	return answer, nil
}

// memberOf reports whether the user is in the group (for AVChatRoom: whether
// this session entered the room).
func (s *session) memberOf(group string) (core.Group, bool) {
	g, ok := s.g.svc.GroupSnapshot(s.key.app, group)
	if !ok {
		return g, false
	}
	if !g.Type.StoresMembers() {
		s.groups.mu.Lock()
		defer s.groups.mu.Unlock()
		return g, s.groups.rooms[group]
	}
	roles, err := s.g.svc.RolesInGroup(s.key.app, group, []string{s.key.user})
	return g, err == nil && roles[0] != core.RoleNotMember
}

func opGroupJoin(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.GroupJoin
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	g, found := s.g.svc.GroupSnapshot(s.key.app, req.Group)
	if found && !g.Type.StoresMembers() {
		s.groups.mu.Lock()
		entered := s.groups.rooms[req.Group]
		s.groups.mu.Unlock()
		if entered {
			return ok(req.ID), nil
		}
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	if err := s.g.svc.JoinGroup(ctx, s.key.app, req.Group, s.key.user); err != nil {
		return nil, refusal(err)
	}
	if found && !g.Type.StoresMembers() {
		s.groups.mu.Lock()
		if s.groups.rooms == nil {
			s.groups.rooms = map[string]bool{}
		}
		s.groups.rooms[req.Group] = true
		s.groups.mu.Unlock()
		s.joinGroups(req.Group) // rooms have no group.join event: follow it here
	}
	return ok(req.ID), nil
}

func opGroupQuit(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.GroupJoin
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	g, found := s.g.svc.GroupSnapshot(s.key.app, req.Group)
	if found && !g.Type.StoresMembers() {
		s.groups.mu.Lock()
		entered := s.groups.rooms[req.Group]
		delete(s.groups.rooms, req.Group)
		s.groups.mu.Unlock()
		if entered {
			s.g.svc.LeaveRoom(s.key.app, req.Group, s.key.user)
			s.leaveGroup(req.Group)
		}
		return ok(req.ID), nil
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	if err := s.g.svc.QuitGroup(ctx, s.key.app, req.Group, s.key.user); err != nil {
		return nil, refusal(err)
	}
	return ok(req.ID), nil
}
