package tim

import (
	"context"

	"github.com/parleyim/parley/internal/core"
)

// Group read receipts (group_msg_receipt, get_group_msg_receipt,
// get_group_msg_receipt_detail) and group message extensions
// (v4/openim_msg_ext_http_svc/group_set_key_values, group_get_key_values).

// ---- group_msg_receipt

type groupMsgReceiptRequest struct {
	GroupID     *string      `json:"GroupId"`
	FromAccount *string      `json:"From_Account"` // the member who read
	MsgSeqList  []msgSeqItem `json:"MsgSeqList"`
}

func (h *Handler) groupMsgReceipt(ctx context.Context, c *call) (any, *wireError) {
	var req groupMsgReceiptRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	reader, werr := need(req.FromAccount, "From_Account")
	if werr != nil {
		return nil, werr
	}
	seqs, werr := seqsOf(req.MsgSeqList)
	if werr != nil {
		return nil, werr
	}
	if err := h.svc.SendGroupReceipts(ctx, c.app.ID, id, reader, seqs); err != nil {
		return nil, coreError(groupReceiptCodes, err)
	}
	return okEnvelope, nil
}

// ---- get_group_msg_receipt

type getGroupMsgReceiptRequest struct {
	GroupID    *string      `json:"GroupId"`
	MsgSeqList []msgSeqItem `json:"MsgSeqList"`
}

type receiptCount struct {
	Code      int    `json:"Code"`
	MsgSeq    uint64 `json:"MsgSeq"`
	ReadNum   int    `json:"ReadNum"`
	UnreadNum int    `json:"UnreadNum"`
}

type getGroupMsgReceiptResponse struct {
	envelope            `json:",inline"`
	GroupMsgReceiptList []receiptCount `json:"GroupMsgReceiptList"`
}

func (h *Handler) getGroupMsgReceipt(ctx context.Context, c *call) (any, *wireError) {
	var req getGroupMsgReceiptRequest
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
	if len(seqs) > core.MaxGroupReceipts {
		return nil, fail(10004, "more than 50 messages in MsgSeqList")
	}
	counts, err := h.svc.GroupReceiptCounts(ctx, c.app.ID, id, seqs)
	if err != nil {
		return nil, coreError(groupReceiptCodes, err)
	}
	resp := getGroupMsgReceiptResponse{envelope: okEnvelope, GroupMsgReceiptList: make([]receiptCount, len(counts))}
	for i, n := range counts {
		resp.GroupMsgReceiptList[i] = receiptCount{MsgSeq: n.Seq, ReadNum: n.Read, UnreadNum: n.Unread}
		if n.Err != nil {
			resp.GroupMsgReceiptList[i].Code = groupReceiptCodes.code(n.Err)
		}
	}
	return resp, nil
}

// ---- get_group_msg_receipt_detail

type getGroupMsgReceiptDetailRequest struct {
	GroupID *string `json:"GroupId"`
	MsgSeq  *uint64 `json:"MsgSeq"`
	Filter  *int64  `json:"Filter"` // 0 who read, 1 who did not
	Cursor  *string `json:"Cursor"` // "" for the first page
	Count   *int64  `json:"Count"`  // at most 200
}

type readAccount struct {
	ReadAccount string `json:"Read_Account"`
}

type unreadAccount struct {
	UnreadAccount string `json:"Unread_Account"`
}

// getGroupMsgReceiptDetailResponse writes both IsFinish (the examples and
// the Java SDK) and IsFinished (the doc table), as the reference says
// readers use either. The list that was not asked for is left out.
type getGroupMsgReceiptDetailResponse struct {
	envelope   `json:",inline"`
	IsFinish   int             `json:"IsFinish"`
	IsFinished int             `json:"IsFinished"`
	MsgSeq     uint64          `json:"MsgSeq"`
	Cursor     string          `json:"Cursor"`
	ReadList   []readAccount   `json:"ReadList,omitzero"`
	UnreadList []unreadAccount `json:"UnreadList,omitzero"`
}

func (h *Handler) getGroupMsgReceiptDetail(ctx context.Context, c *call) (any, *wireError) {
	var req getGroupMsgReceiptDetailRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	seq, werr := need(req.MsgSeq, "MsgSeq")
	if werr != nil {
		return nil, werr
	}
	filter, werr := need(req.Filter, "Filter")
	if werr != nil {
		return nil, werr
	}
	if filter != 0 && filter != 1 {
		return nil, fail(10004, "Filter must be 0 (read) or 1 (unread)")
	}
	count, werr := need(req.Count, "Count")
	if werr != nil {
		return nil, werr
	}
	if count <= 0 || count > 200 {
		return nil, fail(10004, "Count must be 1 to 200")
	}
	cursor := ""
	if req.Cursor != nil {
		cursor = *req.Cursor
	}
	d, err := h.svc.GroupReceiptDetail(ctx, c.app.ID, id, seq, filter == 1, cursor, int(count))
	if err != nil {
		return nil, coreError(groupReceiptCodes, err)
	}
	resp := getGroupMsgReceiptDetailResponse{envelope: okEnvelope, MsgSeq: seq, Cursor: d.Next}
	if d.Finished {
		resp.IsFinish, resp.IsFinished = 1, 1
	}
	if filter == 0 {
		resp.ReadList = make([]readAccount, len(d.Users))
		for i, u := range d.Users {
			resp.ReadList[i] = readAccount{u}
		}
	} else {
		resp.UnreadList = make([]unreadAccount, len(d.Users))
		for i, u := range d.Users {
			resp.UnreadList[i] = unreadAccount{u}
		}
	}
	return resp, nil
}

// ---- group_set_key_values, group_get_key_values

type groupSetKeyValuesRequest struct {
	GroupID       *string         `json:"GroupId"`
	MsgSeq        *uint64         `json:"MsgSeq"`
	OperateType   *int64          `json:"OperateType"`
	ExtensionList []extensionItem `json:"ExtensionList"`
}

// groupMsgTarget checks GroupId and MsgSeq in the extension service's codes.
func groupMsgTarget(group *string, seq *uint64) (string, uint64, *wireError) {
	if group == nil || seq == nil {
		return "", 0, fail(10004, "GroupId and MsgSeq are required")
	}
	if !groupIDShape(*group) {
		return "", 0, fail(10015, "invalid group ID")
	}
	return *group, *seq, nil
}

// groupSetKeyValues is set_key_values for a group message. REST callers
// are admins: they skip the Seq check. The answer is set_key_values'.
func (h *Handler) groupSetKeyValues(ctx context.Context, c *call) (any, *wireError) {
	var req groupSetKeyValuesRequest
	if err := c.decode(&req, nil); err != nil {
		return nil, err
	}
	group, seq, werr := groupMsgTarget(req.GroupID, req.MsgSeq)
	if werr != nil {
		return nil, werr
	}
	if req.OperateType == nil {
		return nil, fail(10004, "OperateType is required")
	}
	if *req.OperateType < 1 || *req.OperateType > 3 {
		return nil, fail(10004, "OperateType must be 1, 2 or 3")
	}
	items := make([]core.ExtensionChange, 0, len(req.ExtensionList))
	for _, it := range req.ExtensionList {
		if it.Key == nil {
			return nil, fail(10004, "ExtensionList item without Key")
		}
		items = append(items, core.ExtensionChange{Key: *it.Key, Value: it.Value, Seq: it.Seq})
	}
	results, err := h.svc.SetGroupExtensions(ctx, c.app.ID, group, seq, core.ExtensionOp(*req.OperateType), items, false)
	if err != nil {
		return nil, coreError(groupExtCodes, err)
	}
	resp := setKeyValuesResponse{envelope: okEnvelope, ExtensionList: make([]extensionResult, len(results))}
	for i, r := range results {
		e := r.Extension
		if e.Key == "" && i < len(items) {
			e.Key = items[i].Key
		}
		resp.ExtensionList[i] = extensionResult{Extension: extensionOut{Key: e.Key, Value: e.Value, Seq: e.Seq}}
		if r.Err != nil {
			resp.ExtensionList[i].ErrorCode = groupExtCodes.code(r.Err)
		}
	}
	return resp, nil
}

type groupGetKeyValuesRequest struct {
	GroupID  *string `json:"GroupId"`
	MsgSeq   *uint64 `json:"MsgSeq"`
	StartSeq uint64  `json:"StartSeq"`
}

// groupGetKeyValues is get_key_values for a group message.
func (h *Handler) groupGetKeyValues(ctx context.Context, c *call) (any, *wireError) {
	var req groupGetKeyValuesRequest
	if err := c.decode(&req, nil); err != nil {
		return nil, err
	}
	group, seq, werr := groupMsgTarget(req.GroupID, req.MsgSeq)
	if werr != nil {
		return nil, werr
	}
	page, err := h.svc.GroupExtensions(ctx, c.app.ID, group, seq, req.StartSeq)
	if err != nil {
		return nil, coreError(groupExtCodes, err)
	}
	resp := getKeyValuesResponse{envelope: okEnvelope, LatestSeq: page.LatestSeq, ClearSeq: page.ClearSeq,
		ExtensionList: make([]extensionOut, len(page.Items))}
	if page.Complete {
		resp.CompleteFlag = 1
	}
	for i, e := range page.Items {
		resp.ExtensionList[i] = extensionOut{Key: e.Key, Value: e.Value, Seq: e.Seq}
	}
	return resp, nil
}
