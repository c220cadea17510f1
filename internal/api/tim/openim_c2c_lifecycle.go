package tim

import (
	"context"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/core"
)

// C2C lifecycle commands: recall, modify, read state, unread counts,
// one-sided delete and read receipts.

func (h *Handler) registerC2CLifecycle() {
	h.handle("openim/admin_msgwithdraw", &openimFamily, h.adminMsgWithdraw)
	h.handle("openim/modify_c2c_msg", &openimFamily, h.modifyC2CMsg)
	h.handle("openim/admin_set_msg_read", &openimFamily, h.adminSetMsgRead)
	h.handle("openim/get_c2c_unread_msg_num", &openimFamily, h.getC2CUnreadMsgNum)
	h.handle("openim/delete_c2c_msg_ramble", &openimFamily, h.deleteC2CMsgRamble)
	h.handle("openim/c2c_msg_read_receipt", &openimFamily, h.c2cMsgReadReceipt)
}

// messageRefCodes answer commands that name a stored message by From_Account,
// To_Account and MsgKey.
var messageRefCodes = openimCodes.with(codeTable{
	{core.NotFound, core.FieldKey}:  20022, // no such message
	{core.NotFound, core.FieldFrom}: 90008,
	{core.NotFound, core.FieldTo}:   90003,
	{core.Duplicate, core.FieldKey}: 20023, // already recalled
})

// refFields: From_Account and To_Account of the wrong type.
var refFields = fieldCodes{"From_Account": 90008, "To_Account": 90003, "MsgKey": 90054}

type messageRef struct {
	FromAccount *string `json:"From_Account"`
	ToAccount   *string `json:"To_Account"`
	MsgKey      *string `json:"MsgKey"`
}

// parse checks the three members and parses the key.
func (r *messageRef) parse() (from, to string, key core.MsgKey, werr *wireError) {
	switch {
	case r.FromAccount == nil:
		return "", "", key, fail(90008, "From_Account is missing")
	case r.ToAccount == nil:
		return "", "", key, fail(90003, "To_Account is missing")
	case r.MsgKey == nil:
		return "", "", key, fail(90054, "MsgKey is missing")
	}
	key, err := core.ParseMsgKey(*r.MsgKey)
	if err != nil {
		return "", "", key, fail(90054, "MsgKey is malformed")
	}
	return *r.FromAccount, *r.ToAccount, key, nil
}

func (h *Handler) adminMsgWithdraw(ctx context.Context, c *call) (any, *wireError) {
	var req messageRef
	if err := c.decode(&req, refFields); err != nil {
		return nil, err
	}
	from, to, key, werr := req.parse()
	if werr != nil {
		return nil, werr
	}
	if err := h.svc.RecallC2C(ctx, c.app.ID, from, to, key); err != nil {
		return nil, coreError(messageRefCodes, err)
	}
	return okEnvelope, nil
}

type modifyC2CRequest struct {
	messageRef      `json:",inline"`
	MsgBody         jsontext.Value `json:"MsgBody"`
	CloudCustomData *string        `json:"CloudCustomData"`
}

func (h *Handler) modifyC2CMsg(ctx context.Context, c *call) (any, *wireError) {
	var req modifyC2CRequest
	fields := withFields(refFields)
	if err := c.decode(&req, fields); err != nil {
		return nil, err
	}
	from, to, key, werr := req.parse()
	if werr != nil {
		return nil, werr
	}
	mod := &core.C2CModify{App: c.app.ID, From: from, To: to, Key: key, CloudCustomData: req.CloudCustomData}
	if !isNull(req.MsgBody) {
		if req.MsgBody.Kind() != '[' {
			return nil, fail(90007, "MsgBody is not an array")
		}
		mod.Body = []byte(req.MsgBody)
	}
	if err := h.svc.ModifyC2C(ctx, mod); err != nil {
		return nil, coreError(messageRefCodes, err)
	}
	return okEnvelope, nil
}

// readCodes: Report_Account is the From side, Peer_Account the To side.
var readCodes = openimCodes.with(codeTable{
	{core.NotFound, core.FieldFrom}: 90008,
	{core.NotFound, core.FieldTo}:   90003,
})

type setMsgReadRequest struct {
	ReportAccount *string `json:"Report_Account"`
	PeerAccount   *string `json:"Peer_Account"`
	// MsgReadTime is documented as a String; SDKs send an Integer. Both are taken.
	MsgReadTime jsontext.Value `json:"MsgReadTime"`
}

// unixTime parses an Integer or a String of decimal digits; absent is 0.
func unixTime(v jsontext.Value) (int64, bool) {
	if isNull(v) {
		return 0, true
	}
	s := string(v)
	if v.Kind() == '"' {
		s = s[1 : len(s)-1]
	}
	t, err := strconv.ParseInt(s, 10, 64)
	return t, err == nil && t >= 0
}

func (h *Handler) adminSetMsgRead(ctx context.Context, c *call) (any, *wireError) {
	var req setMsgReadRequest
	if err := c.decode(&req, fieldCodes{"Report_Account": 90008, "Peer_Account": 90003}); err != nil {
		return nil, err
	}
	if req.ReportAccount == nil {
		return nil, fail(90008, "Report_Account is missing")
	}
	if req.PeerAccount == nil {
		return nil, fail(90003, "Peer_Account is missing")
	}
	t, ok := unixTime(req.MsgReadTime)
	if !ok {
		return nil, fail(20001, "MsgReadTime is not a Unix time")
	}
	if _, err := h.svc.SetC2CRead(ctx, c.app.ID, *req.ReportAccount, *req.PeerAccount, t); err != nil {
		return nil, coreError(readCodes, err)
	}
	return okEnvelope, nil
}

type unreadRequest struct {
	ToAccount   *string  `json:"To_Account"`
	PeerAccount []string `json:"Peer_Account"`
}

type peerUnread struct {
	PeerAccount     string `json:"Peer_Account"`
	C2CUnreadMsgNum int    `json:"C2CUnreadMsgNum"`
}

type peerError struct {
	PeerAccount string `json:"Peer_Account"`
	ErrorCode   int    `json:"ErrorCode"`
}

type unreadResponse struct {
	envelope            `json:",inline"`
	AllC2CUnreadMsgNum  *int         `json:"AllC2CUnreadMsgNum,omitempty"`
	C2CUnreadMsgNumList []peerUnread `json:"C2CUnreadMsgNumList,omitzero"` // present (maybe empty) when peers were asked for
	ErrorList           []peerError  `json:"ErrorList,omitempty"`
}

// unreadCodes: the user whose counts are asked for is To_Account.
var unreadCodes = openimCodes.with(codeTable{
	{core.NotFound, core.FieldTo}:   90003,
	{core.TooLarge, core.FieldList}: 90011,
})

func (h *Handler) getC2CUnreadMsgNum(ctx context.Context, c *call) (any, *wireError) {
	var req unreadRequest
	if err := c.decode(&req, fieldCodes{"To_Account": 90003, "Peer_Account": 90001}); err != nil {
		return nil, err
	}
	if req.ToAccount == nil {
		return nil, fail(90003, "To_Account is missing")
	}
	total, per, err := h.svc.C2CUnread(ctx, c.app.ID, *req.ToAccount, req.PeerAccount)
	if err != nil {
		return nil, coreError(unreadCodes, err)
	}
	resp := unreadResponse{envelope: okEnvelope}
	if len(req.PeerAccount) == 0 {
		resp.AllC2CUnreadMsgNum = &total
		return resp, nil
	}
	resp.C2CUnreadMsgNumList = []peerUnread{}
	for _, p := range per {
		if p.Err != nil {
			resp.ErrorList = append(resp.ErrorList, peerError{PeerAccount: p.Peer, ErrorCode: 70107})
			continue
		}
		resp.C2CUnreadMsgNumList = append(resp.C2CUnreadMsgNumList, peerUnread{PeerAccount: p.Peer, C2CUnreadMsgNum: p.Unread})
	}
	return resp, nil
}

type deleteRambleRequest struct {
	OperatorAccount *string  `json:"Operator_Account"`
	PeerAccount     *string  `json:"Peer_Account"`
	MsgKeyList      []string `json:"MsgKeyList"`
}

type deleteRambleResponse struct {
	envelope          `json:",inline"`
	InvalidMsgKeyList []string `json:"InvalidMsgKeyList,omitempty"`
}

// deleteCodes: Operator_Account is the From side.
var deleteCodes = openimCodes.with(codeTable{
	{core.NotFound, core.FieldFrom}: 90008,
	{core.NotFound, core.FieldTo}:   90003,
	{core.TooLarge, core.FieldList}: 90011,
})

func (h *Handler) deleteC2CMsgRamble(ctx context.Context, c *call) (any, *wireError) {
	var req deleteRambleRequest
	if err := c.decode(&req, fieldCodes{"Operator_Account": 90008, "Peer_Account": 90003, "MsgKeyList": 20001}); err != nil {
		return nil, err
	}
	switch {
	case req.OperatorAccount == nil:
		return nil, fail(90008, "Operator_Account is missing")
	case req.PeerAccount == nil:
		return nil, fail(90003, "Peer_Account is missing")
	case len(req.MsgKeyList) == 0:
		return nil, fail(20001, "MsgKeyList is missing or empty")
	case len(req.MsgKeyList) > core.MaxDeleteKeys:
		return nil, fail(90011, "more than 30 keys in MsgKeyList")
	}
	resp := deleteRambleResponse{envelope: okEnvelope}
	var keys []core.MsgKey
	for _, s := range req.MsgKeyList {
		k, err := core.ParseMsgKey(s)
		if err != nil {
			resp.InvalidMsgKeyList = append(resp.InvalidMsgKeyList, s)
			continue
		}
		keys = append(keys, k)
	}
	if err := h.svc.DeleteC2CForUser(ctx, c.app.ID, *req.OperatorAccount, *req.PeerAccount, keys); err != nil {
		return nil, coreError(deleteCodes, err)
	}
	return resp, nil
}

type readReceiptRequest struct {
	OperatorAccount *string `json:"Operator_Account"`
	PeerAccount     *string `json:"Peer_Account"`
	C2CMsgInfo      []struct {
		FromAccount string `json:"From_Account"`
		ToAccount   string `json:"To_Account"`
		MsgKey      string `json:"MsgKey"`
	} `json:"C2CMsgInfo"`
}

// receiptCodes: Operator_Account (the reader) is the From side.
var receiptCodes = messageRefCodes.with(codeTable{
	{core.Unsupported, core.FieldKey}: 20001,
	{core.TooLarge, core.FieldList}:   90011,
})

func (h *Handler) c2cMsgReadReceipt(ctx context.Context, c *call) (any, *wireError) {
	var req readReceiptRequest
	if err := c.decode(&req, fieldCodes{"Operator_Account": 90008, "Peer_Account": 90003, "C2CMsgInfo": 20001}); err != nil {
		return nil, err
	}
	switch {
	case req.OperatorAccount == nil:
		return nil, fail(90008, "Operator_Account is missing")
	case req.PeerAccount == nil:
		return nil, fail(90003, "Peer_Account is missing")
	case len(req.C2CMsgInfo) == 0:
		return nil, fail(20001, "C2CMsgInfo is missing or empty")
	}
	keys := make([]core.MsgKey, len(req.C2CMsgInfo))
	for i, m := range req.C2CMsgInfo {
		if m.FromAccount != *req.PeerAccount || m.ToAccount != *req.OperatorAccount {
			return nil, fail(20001, "C2CMsgInfo must name messages from Peer_Account to Operator_Account")
		}
		k, err := core.ParseMsgKey(m.MsgKey)
		if err != nil {
			return nil, fail(90054, "MsgKey is malformed")
		}
		keys[i] = k
	}
	results, err := h.svc.C2CReadReceipt(ctx, c.app.ID, *req.OperatorAccount, *req.PeerAccount, keys)
	if err != nil {
		return nil, coreError(receiptCodes, err)
	}
	var firstErr error
	for _, r := range results {
		if r.Err == nil {
			return okEnvelope, nil // at least one receipt was recorded
		}
		if firstErr == nil {
			firstErr = r.Err
		}
	}
	return nil, coreError(receiptCodes, firstErr)
}
