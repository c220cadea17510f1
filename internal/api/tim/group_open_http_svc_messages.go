package tim

import (
	"context"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/core"
)

// Group message commands: send_group_msg, send_group_system_notification,
// group_msg_recall, group_msg_get_simple, import_group_msg,
// clear_group_msg, delete_group_msg_by_sender and v4/openim/modify_group_msg.

// checkGroupBody does the wire-type checks of a group MsgBody: present, an
// array. What is inside is core's to judge.
func checkGroupBody(body jsontext.Value) *wireError {
	if isNull(body) {
		return fail(10004, "MsgBody is required")
	}
	if body.Kind() != '[' {
		return fail(10004, "MsgBody is not an array")
	}
	return nil
}

// ---- send_group_msg

type groupAtItem struct {
	GroupAtAllFlag int64  `json:"GroupAtAllFlag"`
	GroupAtAccount string `json:"GroupAt_Account"`
}

type sendGroupMsgRequest struct {
	GroupID               *string        `json:"GroupId"`
	Random                *uint32        `json:"Random"`
	MsgPriority           *string        `json:"MsgPriority"`
	MsgBody               jsontext.Value `json:"MsgBody"`
	FromAccount           *string        `json:"From_Account"`
	OfflinePushInfo       jsontext.Value `json:"OfflinePushInfo"`
	ForbidCallbackControl []string       `json:"ForbidCallbackControl"`
	OnlineOnlyFlag        int64          `json:"OnlineOnlyFlag"`
	// MsgOnlineOnlyFlag is what the dobyte Go SDK sends for
	// OnlineOnlyFlag. It is honoured, but the rules that came with the
	// documented name are not applied to it: with it alone, SendMsgControl
	// (meaningless for a message that is never stored) is dropped instead
	// of refused, and in an AVChatRoom (where every message is online
	// only) it is ignored. The SDK's captured send sets both.
	MsgOnlineOnlyFlag       int64         `json:"MsgOnlineOnlyFlag"`
	SendMsgControl          []string      `json:"SendMsgControl"`
	CloudCustomData         string        `json:"CloudCustomData"`
	SupportMessageExtension int64         `json:"SupportMessageExtension"`
	ToAccount               []string      `json:"To_Account"`
	TopicID                 string        `json:"TopicId"`
	GroupAtInfo             []groupAtItem `json:"GroupAtInfo"`
	NeedReadReceipt         int64         `json:"NeedReadReceipt"`
}

type sendGroupMsgResponse struct {
	envelope      `json:",inline"`
	MsgTime       int64  `json:"MsgTime"`
	MsgSeq        uint64 `json:"MsgSeq"`
	MsgDropReason string `json:"MsgDropReason,omitempty"`
}

// priorities are MsgPriority's values (case-sensitive).
var priorities = map[string]core.Priority{"High": core.PriorityHigh, "Normal": core.PriorityNormal, "Low": core.PriorityLow}

func (h *Handler) sendGroupMsg(ctx context.Context, c *call) (any, *wireError) {
	var req sendGroupMsgRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	random, werr := need(req.Random, "Random")
	if werr != nil {
		return nil, werr
	}
	if werr := checkGroupBody(req.MsgBody); werr != nil {
		return nil, werr
	}
	send := &core.GroupSend{
		App: c.app.ID, Group: id, Topic: req.TopicID, From: c.identifier, Random: random,
		Priority: core.PriorityNormal, Body: []byte(req.MsgBody), CloudCustomData: req.CloudCustomData,
		To: req.ToAccount, AsAdmin: true,
	}
	if req.FromAccount != nil {
		send.From = *req.FromAccount
	}
	if req.MsgPriority != nil {
		p, ok := priorities[*req.MsgPriority]
		if !ok {
			return nil, fail(10004, "MsgPriority must be High, Normal or Low")
		}
		send.Priority = p
	}
	if !isNull(req.OfflinePushInfo) {
		send.OfflinePush = []byte(req.OfflinePushInfo)
	}
	if req.OnlineOnlyFlag < 0 || req.MsgOnlineOnlyFlag < 0 {
		return nil, fail(10004, "OnlineOnlyFlag must not be negative")
	}
	if send.SupportExtension, werr = flagGroup(req.SupportMessageExtension, "SupportMessageExtension"); werr != nil {
		return nil, werr
	}
	if send.NeedReadReceipt, werr = flagGroup(req.NeedReadReceipt, "NeedReadReceipt"); werr != nil {
		return nil, werr
	}
	// Unknown control words are ignored, as Tencent adds new ones over time.
	for _, s := range req.SendMsgControl {
		switch s {
		case "NoLastMsg":
			send.NoLastMsg = true
		case "NoUnread":
			send.NoUnread = true
		}
	}
	for _, s := range req.ForbidCallbackControl {
		switch s {
		case "ForbidBeforeSendMsgCallback":
			send.ForbidBeforeCallback = true
		case "ForbidAfterSendMsgCallback":
			send.ForbidAfterCallback = true
		}
	}
	// "Any value above 0" makes a message online only (seed).
	send.OnlineOnly = req.OnlineOnlyFlag > 0
	if !send.OnlineOnly && req.MsgOnlineOnlyFlag > 0 {
		if g, ok := h.svc.GroupSnapshot(c.app.ID, id); !ok || g.Type.StoresHistory() {
			send.OnlineOnly, send.NoLastMsg, send.NoUnread = true, false, false
		}
	}
	for _, at := range req.GroupAtInfo {
		switch at.GroupAtAllFlag {
		case 1:
			send.At = append(send.At, core.GroupAt{All: true})
		case 0:
			send.At = append(send.At, core.GroupAt{User: at.GroupAtAccount})
		default:
			return nil, fail(10004, "GroupAtAllFlag must be 0 or 1")
		}
	}
	sent, err := h.svc.SendGroupMessage(ctx, send)
	if err != nil {
		return nil, coreError(sendGroupCodes, err)
	}
	return sendGroupMsgResponse{envelope: okEnvelope, MsgTime: sent.Time, MsgSeq: sent.Seq, MsgDropReason: sent.DropReason}, nil
}

// ---- send_group_system_notification

type sendGroupSystemNotificationRequest struct {
	GroupID          *string  `json:"GroupId"`
	ToMembersAccount []string `json:"ToMembers_Account"`
	Content          *string  `json:"Content"`
	TopicID          string   `json:"TopicId"`
}

func (h *Handler) sendGroupSystemNotification(ctx context.Context, c *call) (any, *wireError) {
	var req sendGroupSystemNotificationRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	content, werr := need(req.Content, "Content")
	if werr != nil {
		return nil, werr
	}
	if _, err := h.svc.SendGroupNotification(ctx, c.app.ID, id, req.TopicID, req.ToMembersAccount, content); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

// ---- group_msg_recall

// maxRecallReason bounds group_msg_recall's Reason (bytes).
const maxRecallReason = 100

type msgSeqItem struct {
	MsgSeq *uint64 `json:"MsgSeq"`
}

// seqsOf reads a MsgSeqList.
func seqsOf(items []msgSeqItem) ([]uint64, *wireError) {
	if len(items) == 0 {
		return nil, fail(10004, "MsgSeqList is required")
	}
	out := make([]uint64, len(items))
	for i, it := range items {
		if it.MsgSeq == nil {
			return nil, fail(10004, "MsgSeqList item without MsgSeq")
		}
		out[i] = *it.MsgSeq
	}
	return out, nil
}

type groupMsgRecallRequest struct {
	GroupID    *string      `json:"GroupId"`
	MsgSeqList []msgSeqItem `json:"MsgSeqList"`
	TopicID    string       `json:"TopicId"`
	Reason     string       `json:"Reason"`
}

type recallRet struct {
	MsgSeq  uint64 `json:"MsgSeq"`
	RetCode int    `json:"RetCode"`
}

type groupMsgRecallResponse struct {
	envelope      `json:",inline"`
	RecallRetList []recallRet `json:"RecallRetList"`
}

func (h *Handler) groupMsgRecall(ctx context.Context, c *call) (any, *wireError) {
	var req groupMsgRecallRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	seqs, werr := seqsOf(req.MsgSeqList)
	if werr != nil {
		return nil, werr
	}
	if len(req.Reason) > maxRecallReason {
		return nil, fail(10004, "Reason is longer than 100 bytes")
	}
	results, err := h.svc.RecallGroupMessages(ctx, c.app.ID, id, req.TopicID, seqs)
	if err != nil {
		return nil, coreError(recallCodes, err)
	}
	resp := groupMsgRecallResponse{envelope: okEnvelope, RecallRetList: make([]recallRet, len(results))}
	for i, r := range results {
		resp.RecallRetList[i] = recallRet{MsgSeq: r.Seq}
		if r.Err != nil {
			resp.RecallRetList[i].RetCode = recallCodes.code(r.Err)
		}
	}
	return resp, nil
}

// ---- group_msg_get_simple

type groupMsgGetSimpleRequest struct {
	GroupID         *string `json:"GroupId"`
	ReqMsgNumber    *int64  `json:"ReqMsgNumber"`
	ReqMsgSeq       uint64  `json:"ReqMsgSeq"`
	WithRecalledMsg int64   `json:"WithRecalledMsg"`
	TopicID         string  `json:"TopicId"`
}

// IsPlaceMsg values.
const (
	placeNormal   = 0
	placeDeleted  = 1 // deleted, expired or lost: no body
	placeRecalled = 2
)

type groupMsgItem struct {
	FromAccount     string         `json:"From_Account"`
	IsPlaceMsg      int            `json:"IsPlaceMsg"`
	IsSystemMsg     int            `json:"IsSystemMsg"`
	MsgBody         jsontext.Value `json:"MsgBody"`
	MsgPriority     int            `json:"MsgPriority"`
	MsgRandom       uint32         `json:"MsgRandom"`
	MsgSeq          uint64         `json:"MsgSeq"`
	MsgTimeStamp    int64          `json:"MsgTimeStamp"`
	CloudCustomData string         `json:"CloudCustomData"`
}

type groupMsgGetSimpleResponse struct {
	envelope   `json:",inline"`
	GroupID    string         `json:"GroupId"`
	IsFinished int            `json:"IsFinished"`
	RspMsgList []groupMsgItem `json:"RspMsgList"`
}

// emptyBody is the MsgBody of a placeholder.
var emptyBody = jsontext.Value("[]")

func groupMsgOf(m *core.GroupMessage) groupMsgItem {
	it := groupMsgItem{
		FromAccount: m.From, MsgBody: jsontext.Value(m.Body), MsgPriority: int(m.Priority), MsgRandom: m.Random,
		MsgSeq: m.Seq, MsgTimeStamp: m.Time, CloudCustomData: m.CloudCustomData,
	}
	switch {
	case m.Flags.Has(core.GFlagDeleted):
		it.IsPlaceMsg, it.MsgBody, it.CloudCustomData = placeDeleted, emptyBody, ""
	case m.Flags.Has(core.GFlagRecalled):
		it.IsPlaceMsg, it.MsgBody, it.CloudCustomData = placeRecalled, emptyBody, ""
	}
	if m.Flags.Has(core.GFlagSystem) {
		it.IsSystemMsg = 1
	}
	if len(it.MsgBody) == 0 {
		it.MsgBody = emptyBody
	}
	if it.MsgPriority == 0 {
		it.MsgPriority = int(core.PriorityNormal)
	}
	return it
}

func (h *Handler) groupMsgGetSimple(ctx context.Context, c *call) (any, *wireError) {
	var req groupMsgGetSimpleRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	n, werr := need(req.ReqMsgNumber, "ReqMsgNumber")
	if werr != nil {
		return nil, werr
	}
	if n <= 0 {
		return nil, fail(10004, "ReqMsgNumber must be positive")
	}
	withRecalled, werr := flagGroup(req.WithRecalledMsg, "WithRecalledMsg")
	if werr != nil {
		return nil, werr
	}
	// An admin reads everything: cleared messages and targeted ones too.
	page, err := h.svc.GroupHistory(ctx, core.GroupHistoryRequest{
		App: c.app.ID, Group: id, Topic: req.TopicID, BeforeSeq: req.ReqMsgSeq,
		Limit: int(min(n, core.MaxGroupHistoryPage)), WithRecalled: withRecalled,
	})
	if err != nil {
		return nil, coreError(historyCodes, err)
	}
	resp := groupMsgGetSimpleResponse{envelope: okEnvelope, GroupID: id, RspMsgList: make([]groupMsgItem, len(page.Messages))}
	if page.Finished {
		resp.IsFinished = 1
	}
	for i := range page.Messages {
		resp.RspMsgList[i] = groupMsgOf(&page.Messages[i])
	}
	return resp, nil
}

// ---- import_group_msg

type importGroupItem struct {
	FromAccount *string        `json:"From_Account"`
	SendTime    *int64         `json:"SendTime"`
	Random      uint32         `json:"Random"`
	MsgBody     jsontext.Value `json:"MsgBody"`
}

type importGroupMsgRequest struct {
	GroupID *string `json:"GroupId"`
	// RecentContactFlag 1 asks for conversations to be updated; it is
	// checked (0 or 1; not in a Community) and accepted. Group
	// conversations follow the group's last message whatever it says.
	RecentContactFlag int64             `json:"RecentContactFlag"`
	MsgList           []importGroupItem `json:"MsgList"`
	TopicID           string            `json:"TopicId"`
}

type importMsgResult struct {
	MsgSeq  uint64 `json:"MsgSeq"`
	MsgTime int64  `json:"MsgTime"`
	Result  int    `json:"Result"`
}

type importGroupMsgResponse struct {
	envelope        `json:",inline"`
	ImportMsgResult []importMsgResult `json:"ImportMsgResult"`
}

func (h *Handler) importGroupMsg(ctx context.Context, c *call) (any, *wireError) {
	var req importGroupMsgRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	recent, werr := flagGroup(req.RecentContactFlag, "RecentContactFlag")
	if werr != nil {
		return nil, werr
	}
	if g, ok := h.svc.GroupSnapshot(c.app.ID, id); ok && recent && g.Type == core.GroupCommunity {
		return nil, fail(10004, "RecentContactFlag is not for Communities")
	}
	if len(req.MsgList) == 0 {
		return nil, fail(10004, "MsgList is required")
	}
	msgs := make([]core.GroupImport, len(req.MsgList))
	for i, it := range req.MsgList {
		switch {
		case it.FromAccount == nil:
			return nil, fail(10004, "MsgList item without From_Account")
		case it.SendTime == nil:
			return nil, fail(10004, "MsgList item without SendTime")
		}
		if werr := checkGroupBody(it.MsgBody); werr != nil {
			return nil, werr
		}
		msgs[i] = core.GroupImport{From: *it.FromAccount, Time: *it.SendTime, Random: it.Random, Body: []byte(it.MsgBody)}
	}
	results, err := h.svc.ImportGroupMessages(ctx, c.app.ID, id, req.TopicID, msgs)
	if err != nil {
		return nil, coreError(importGroupCodes, err)
	}
	resp := importGroupMsgResponse{envelope: okEnvelope, ImportMsgResult: make([]importMsgResult, len(results))}
	for i, r := range results {
		resp.ImportMsgResult[i] = importMsgResult{MsgSeq: r.Seq, MsgTime: r.Time}
		if r.Err != nil {
			resp.ImportMsgResult[i].Result = importGroupCodes.code(r.Err)
		}
	}
	return resp, nil
}

// ---- clear_group_msg

type clearGroupMsgRequest struct {
	GroupID *string `json:"GroupId"`
	MsgSeq  uint64  `json:"MsgSeq"` // 0 or absent: everything so far
}

func (h *Handler) clearGroupMsg(ctx context.Context, c *call) (any, *wireError) {
	var req clearGroupMsgRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	if err := h.svc.ClearGroupMessages(ctx, c.app.ID, id, req.MsgSeq); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

// ---- delete_group_msg_by_sender

type deleteGroupMsgBySenderRequest struct {
	GroupID       *string `json:"GroupId"`
	SenderAccount *string `json:"Sender_Account"`
}

func (h *Handler) deleteGroupMsgBySender(ctx context.Context, c *call) (any, *wireError) {
	var req deleteGroupMsgBySenderRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	sender, werr := need(req.SenderAccount, "Sender_Account")
	if werr != nil {
		return nil, werr
	}
	if _, err := h.svc.DeleteGroupMessagesBySender(ctx, c.app.ID, id, sender); err != nil {
		return nil, c.refuse(err)
	}
	return okEnvelope, nil
}

// ---- v4/openim/modify_group_msg

type modifyGroupMsgRequest struct {
	GroupID         *string        `json:"GroupId"`
	MsgSeq          *uint64        `json:"MsgSeq"`
	MsgBody         jsontext.Value `json:"MsgBody"`
	CloudCustomData *string        `json:"CloudCustomData"`
	TopicID         string         `json:"TopicId"`
}

// modifyGroupFields: the openim codes of modify_group_msg's members.
var modifyGroupFields = fieldCodes{"MsgBody": 90007}

// modifyGroupMsg answers in the openim service's codes (its page lists
// them), the group service's for a missing group.
func (h *Handler) modifyGroupMsg(ctx context.Context, c *call) (any, *wireError) {
	var req modifyGroupMsgRequest
	if err := c.decode(&req, modifyGroupFields); err != nil {
		return nil, err
	}
	if req.GroupID == nil || req.MsgSeq == nil {
		return nil, fail(20001, "GroupId and MsgSeq are required")
	}
	if !groupIDShape(*req.GroupID) {
		return nil, fail(10015, "invalid group ID")
	}
	var body []byte
	if !isNull(req.MsgBody) {
		if req.MsgBody.Kind() != '[' {
			return nil, fail(90007, "MsgBody is not an array")
		}
		body = []byte(req.MsgBody)
	}
	if err := h.svc.ModifyGroupMessage(ctx, c.app.ID, *req.GroupID, req.TopicID, *req.MsgSeq, body, req.CloudCustomData); err != nil {
		return nil, coreError(modifyGroupMsgCodes, err)
	}
	return okEnvelope, nil
}
