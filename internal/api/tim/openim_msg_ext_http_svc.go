package tim

import (
	"context"

	"github.com/parleyim/parley/internal/core"
)

// Message extension commands: v4/openim_msg_ext_http_svc/set_key_values and
// get_key_values (C2C). REST callers are admins: they skip the Seq check.

// extCodes answer the extension service.
var extCodes = codeTable{
	{core.Internal, ""}:            10002,
	{core.Invalid, ""}:             10004,
	{core.NotFound, ""}:            10004,
	{core.NotFound, core.FieldKey}: 23004, // no such message
	{core.Forbidden, ""}:           10007,
	{core.Muted, ""}:               10004,
	{core.TooLarge, ""}:            10004,
	{core.RateLimited, ""}:         23003,
	{core.Duplicate, ""}:           10004,
	{core.RejectedByCallback, ""}:  10004,
	{core.Conflict, ""}:            23001,
	{core.Unsupported, ""}:         23002, // sent without SupportMessageExtension
}

var extFamily = family{notAdmin: 10007, parse: 10004, tooLarge: 10004, invalid: 10004, unknown: 60009, codes: extCodes}

func (h *Handler) registerExtensions() {
	h.handle("openim_msg_ext_http_svc/set_key_values", &extFamily, h.setKeyValues)
	h.handle("openim_msg_ext_http_svc/get_key_values", &extFamily, h.getKeyValues)
}

type extensionItem struct {
	Key   *string `json:"Key"`
	Value string  `json:"Value"`
	Seq   uint64  `json:"Seq"`
}

type setKeyValuesRequest struct {
	FromAccount   *string         `json:"From_Account"`
	ToAccount     *string         `json:"To_Account"`
	MsgKey        *string         `json:"MsgKey"`
	OperateType   *int64          `json:"OperateType"`
	ExtensionList []extensionItem `json:"ExtensionList"`
}

type extensionOut struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
	Seq   uint64 `json:"Seq"`
}

type extensionResult struct {
	ErrorCode int          `json:"ErrorCode"`
	Extension extensionOut `json:"Extension"`
}

type setKeyValuesResponse struct {
	envelope      `json:",inline"`
	ExtensionList []extensionResult `json:"ExtensionList"`
}

// extTarget resolves From_Account (default: the admin), To_Account and MsgKey.
func extTarget(c *call, from, to, key *string) (string, string, core.MsgKey, *wireError) {
	sender := c.identifier
	if from != nil {
		sender = *from
	}
	if to == nil || key == nil {
		return "", "", core.MsgKey{}, fail(10004, "To_Account and MsgKey are required")
	}
	k, err := core.ParseMsgKey(*key)
	if err != nil {
		return "", "", core.MsgKey{}, fail(10004, "MsgKey is malformed")
	}
	return sender, *to, k, nil
}

func (h *Handler) setKeyValues(ctx context.Context, c *call) (any, *wireError) {
	var req setKeyValuesRequest
	if err := c.decode(&req, nil); err != nil {
		return nil, err
	}
	from, to, key, werr := extTarget(c, req.FromAccount, req.ToAccount, req.MsgKey)
	if werr != nil {
		return nil, werr
	}
	if req.OperateType == nil {
		return nil, fail(10004, "OperateType is required")
	}
	ext := &core.ExtensionRequest{App: c.app.ID, From: from, To: to, Key: key, Op: core.ExtensionOp(*req.OperateType)}
	if *req.OperateType < 1 || *req.OperateType > 3 {
		return nil, fail(10004, "OperateType must be 1, 2 or 3")
	}
	for _, it := range req.ExtensionList {
		if it.Key == nil {
			return nil, fail(10004, "ExtensionList item without Key")
		}
		ext.Items = append(ext.Items, core.ExtensionChange{Key: *it.Key, Value: it.Value, Seq: it.Seq})
	}
	results, err := h.svc.SetC2CExtensions(ctx, ext)
	if err != nil {
		return nil, c.refuse(err)
	}
	resp := setKeyValuesResponse{envelope: okEnvelope, ExtensionList: make([]extensionResult, len(results))}
	for i, r := range results {
		e := r.Extension
		if e.Key == "" {
			e.Key = ext.Items[i].Key
		}
		resp.ExtensionList[i] = extensionResult{Extension: extensionOut{Key: e.Key, Value: e.Value, Seq: e.Seq}}
		if r.Err != nil {
			resp.ExtensionList[i].ErrorCode = extCodes.code(r.Err)
		}
	}
	return resp, nil
}

type getKeyValuesRequest struct {
	FromAccount *string `json:"From_Account"`
	ToAccount   *string `json:"To_Account"`
	MsgKey      *string `json:"MsgKey"`
	StartSeq    uint64  `json:"StartSeq"`
}

type getKeyValuesResponse struct {
	envelope      `json:",inline"`
	CompleteFlag  int            `json:"CompleteFlag"`
	LatestSeq     uint64         `json:"LatestSeq"`
	ClearSeq      uint64         `json:"ClearSeq"`
	ExtensionList []extensionOut `json:"ExtensionList"`
}

func (h *Handler) getKeyValues(ctx context.Context, c *call) (any, *wireError) {
	var req getKeyValuesRequest
	if err := c.decode(&req, nil); err != nil {
		return nil, err
	}
	from, to, key, werr := extTarget(c, req.FromAccount, req.ToAccount, req.MsgKey)
	if werr != nil {
		return nil, werr
	}
	page, err := h.svc.C2CExtensions(ctx, c.app.ID, from, to, key, req.StartSeq)
	if err != nil {
		return nil, c.refuse(err)
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
