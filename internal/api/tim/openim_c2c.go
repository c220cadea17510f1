package tim

import (
	"context"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/core"
)

// C2C message commands: v4/openim/sendmsg, batchsendmsg, importmsg,
// admin_getroammsg.

func (h *Handler) registerC2C() {
	h.handle("openim/sendmsg", &openimFamily, h.sendMsg)
	h.handle("openim/batchsendmsg", &openimFamily, h.batchSendMsg)
	h.handle("openim/importmsg", &openimFamily, h.importMsg)
	h.handle("openim/admin_getroammsg", &openimFamily, h.adminGetRoamMsg)
}

// messageFields are the codes of members the C2C commands share, when
// missing or of the wrong type.
var messageFields = fieldCodes{
	"From_Account":      20003,
	"To_Account":        90003,
	"MsgSeq":            90004,
	"MsgRandom":         90005,
	"MsgTimeStamp":      90006,
	"MsgBody":           90007,
	"SyncOtherMachine":  90031,
	"MsgLifeTime":       90044,
	"OfflinePushInfo":   90043,
	"SyncFromOldSystem": 90030,
}

// withFields returns messageFields with some codes replaced.
func withFields(rows fieldCodes) fieldCodes {
	out := make(fieldCodes, len(messageFields)+len(rows))
	for k, v := range messageFields {
		out[k] = v
	}
	for k, v := range rows {
		out[k] = v
	}
	return out
}

// outgoing holds the members sendmsg and batchsendmsg share.
type outgoing struct {
	SyncOtherMachine        *int64         `json:"SyncOtherMachine"`
	FromAccount             *string        `json:"From_Account"`
	MsgLifeTime             *int64         `json:"MsgLifeTime"`
	MsgSeq                  *uint32        `json:"MsgSeq"`
	MsgRandom               *uint32        `json:"MsgRandom"`
	MsgTimeStamp            *uint32        `json:"MsgTimeStamp"` // Unix seconds; 32 bits, as on the wire
	OnlineOnlyFlag          int64          `json:"OnlineOnlyFlag"`
	ForbidCallbackControl   []string       `json:"ForbidCallbackControl"`
	SendMsgControl          []string       `json:"SendMsgControl"`
	MsgBody                 jsontext.Value `json:"MsgBody"`
	CloudCustomData         string         `json:"CloudCustomData"`
	SupportMessageExtension int64          `json:"SupportMessageExtension"`
	OfflinePushInfo         jsontext.Value `json:"OfflinePushInfo"`
	IsNeedReadReceipt       int64          `json:"IsNeedReadReceipt"`
}

// flag01 checks a 0/1 member.
func flag01(v int64, name string) (bool, *wireError) {
	switch v {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fail(20001, name+" must be 0 or 1")
}

// checkBody does the wire-type checks of MsgBody: present, an array.
func checkBody(body jsontext.Value) *wireError {
	if isNull(body) {
		return fail(90002, "MsgBody is missing")
	}
	if body.Kind() != '[' {
		return fail(90007, "MsgBody is not an array")
	}
	return nil
}

// toSend translates the shared members into a core send request; the
// identifier is the sender when From_Account is absent.
func (o *outgoing) toSend(c *call) (*core.C2CSend, *wireError) {
	if o.MsgRandom == nil {
		return nil, fail(90005, "MsgRandom is missing")
	}
	if err := checkBody(o.MsgBody); err != nil {
		return nil, err
	}
	req := &core.C2CSend{
		App:             c.app.ID,
		From:            c.identifier,
		Random:          *o.MsgRandom,
		Body:            []byte(o.MsgBody),
		CloudCustomData: o.CloudCustomData,
		Origin:          core.OriginSend,
	}
	if o.FromAccount != nil {
		req.From = *o.FromAccount
	}
	if o.MsgSeq != nil {
		req.Seq, req.HasSeq = *o.MsgSeq, true
	}
	if o.MsgTimeStamp != nil {
		req.Time = int64(*o.MsgTimeStamp)
	}
	if o.SyncOtherMachine != nil {
		if *o.SyncOtherMachine < 0 || *o.SyncOtherMachine > 3 {
			return nil, fail(90031, "SyncOtherMachine must be 1, 2 or 3")
		}
		req.Sync = core.SyncMode(*o.SyncOtherMachine)
	}
	if o.MsgLifeTime != nil {
		req.LifeTime, req.HasLifeTime = *o.MsgLifeTime, true
	}
	if !isNull(o.OfflinePushInfo) {
		req.OfflinePush = []byte(o.OfflinePushInfo)
	}
	var werr *wireError
	if req.OnlineOnly, werr = flag01(o.OnlineOnlyFlag, "OnlineOnlyFlag"); werr != nil {
		return nil, werr
	}
	if req.SupportExtension, werr = flag01(o.SupportMessageExtension, "SupportMessageExtension"); werr != nil {
		return nil, werr
	}
	if req.NeedReadReceipt, werr = flag01(o.IsNeedReadReceipt, "IsNeedReadReceipt"); werr != nil {
		return nil, werr
	}
	// Unknown control words are ignored, as Tencent adds new ones over time.
	for _, s := range o.SendMsgControl {
		switch s {
		case "NoUnread":
			req.NoUnread = true
		case "NoLastMsg":
			req.NoLastMsg = true
		case "WithMuteNotifications":
			req.WithMuteNotifications = true
		case "NoMsgCheck":
			req.NoMsgCheck = true
		}
	}
	for _, s := range o.ForbidCallbackControl {
		switch s {
		case "ForbidBeforeSendMsgCallback":
			req.ForbidBeforeCallback = true
		case "ForbidAfterSendMsgCallback":
			req.ForbidAfterCallback = true
		}
	}
	return req, nil
}

type sendMsgRequest struct {
	outgoing  `json:",inline"`
	ToAccount *string `json:"To_Account"`
}

type sendMsgResponse struct {
	envelope `json:",inline"`
	MsgTime  int64  `json:"MsgTime"`
	MsgKey   string `json:"MsgKey"`
}

func (h *Handler) sendMsg(ctx context.Context, c *call) (any, *wireError) {
	var req sendMsgRequest
	if err := c.decode(&req, messageFields); err != nil {
		return nil, err
	}
	if req.ToAccount == nil {
		return nil, fail(90003, "To_Account is missing")
	}
	send, werr := req.toSend(c)
	if werr != nil {
		return nil, werr
	}
	send.To = *req.ToAccount
	sent, err := h.svc.SendC2C(ctx, send)
	if err != nil {
		return nil, c.refuse(err)
	}
	return sendMsgResponse{envelope: okEnvelope, MsgTime: sent.Time, MsgKey: sent.Key.String()}, nil
}

// batchCodes: in batchsendmsg a sender that is not imported is 90008.
var batchCodes = openimCodes.with(codeTable{{core.NotFound, core.FieldFrom}: 90008})

type batchSendMsgRequest struct {
	outgoing  `json:",inline"`
	ToAccount []string `json:"To_Account"`
}

type batchSendMsgResponse struct {
	envelope  `json:",inline"`
	MsgKey    string         `json:"MsgKey"`
	ErrorList []accountError `json:"ErrorList"`
}

func (h *Handler) batchSendMsg(ctx context.Context, c *call) (any, *wireError) {
	var req batchSendMsgRequest
	if err := c.decode(&req, withFields(fieldCodes{"From_Account": 90008})); err != nil {
		return nil, err
	}
	if len(req.ToAccount) == 0 {
		return nil, fail(90003, "To_Account is missing or empty")
	}
	if len(req.ToAccount) > core.MaxBatchReceivers {
		return nil, fail(90011, "more than 500 accounts in To_Account")
	}
	send, werr := req.toSend(c)
	if werr != nil {
		return nil, werr
	}
	res, err := h.svc.BatchSendC2C(ctx, send, req.ToAccount)
	errList := make([]accountError, len(res.Failed))
	for i, f := range res.Failed {
		errList[i] = accountError{ToAccount: f.To, ErrorCode: 70107}
	}
	if err != nil {
		if core.KindOf(err) == core.NotFound && core.FieldOf(err) == core.FieldTo {
			return batchSendMsgResponse{
				envelope:  envelope{ActionStatus: "FAIL", ErrorInfo: "invalid To_Account", ErrorCode: 90012},
				ErrorList: errList,
			}, nil
		}
		return nil, coreError(batchCodes, err)
	}
	resp := batchSendMsgResponse{envelope: okEnvelope, MsgKey: res.Key.String(), ErrorList: errList}
	if len(errList) > 0 {
		resp.ActionStatus = "SomeError"
	}
	return resp, nil
}

// importCodes: in importmsg a sender that is not imported is 90008.
var importCodes = batchCodes

type importMsgRequest struct {
	SyncFromOldSystem *int64         `json:"SyncFromOldSystem"`
	FromAccount       *string        `json:"From_Account"`
	ToAccount         *string        `json:"To_Account"`
	MsgSeq            *uint32        `json:"MsgSeq"`
	MsgRandom         *uint32        `json:"MsgRandom"`
	MsgTimeStamp      *uint32        `json:"MsgTimeStamp"`
	MsgBody           jsontext.Value `json:"MsgBody"`
	CloudCustomData   string         `json:"CloudCustomData"`
}

func (h *Handler) importMsg(ctx context.Context, c *call) (any, *wireError) {
	var req importMsgRequest
	if err := c.decode(&req, withFields(fieldCodes{"From_Account": 90008})); err != nil {
		return nil, err
	}
	imp := &core.C2CImport{App: c.app.ID, CloudCustomData: req.CloudCustomData}
	switch {
	case req.SyncFromOldSystem == nil:
		return nil, fail(90030, "SyncFromOldSystem is missing")
	case *req.SyncFromOldSystem == 1 || *req.SyncFromOldSystem == 5:
		imp.Mode = core.ImportRealtime
	case *req.SyncFromOldSystem == 2:
		imp.Mode = core.ImportHistory
	default:
		return nil, fail(90030, "SyncFromOldSystem must be 1, 2 or 5")
	}
	switch {
	case req.FromAccount == nil:
		return nil, fail(90008, "From_Account is missing")
	case req.ToAccount == nil:
		return nil, fail(90003, "To_Account is missing")
	case req.MsgRandom == nil:
		return nil, fail(90005, "MsgRandom is missing")
	case req.MsgTimeStamp == nil || *req.MsgTimeStamp == 0:
		return nil, fail(90006, "MsgTimeStamp is missing or not a positive integer")
	}
	if err := checkBody(req.MsgBody); err != nil {
		return nil, err
	}
	imp.From, imp.To, imp.Random, imp.Time = *req.FromAccount, *req.ToAccount, *req.MsgRandom, int64(*req.MsgTimeStamp)
	imp.Body = []byte(req.MsgBody)
	if req.MsgSeq != nil {
		imp.Seq, imp.HasSeq = *req.MsgSeq, true
	}
	if _, err := h.svc.ImportC2C(ctx, imp); err != nil {
		return nil, coreError(importCodes, err)
	}
	return okEnvelope, nil
}

// roamCodes: in admin_getroammsg the perspective side that is not imported
// is 90008 and the peer 90003.
var roamCodes = openimCodes.with(codeTable{
	{core.NotFound, core.FieldFrom}: 90008,
	{core.NotFound, core.FieldTo}:   90003,
})

// roamPageBytes caps an admin_getroammsg answer's MsgList, as Tencent does;
// callers continue with LastMsgKey until Complete is 1.
const roamPageBytes = 13 << 10

// roamFetch is how many messages one page asks the store for: no more than
// this many of the smallest possible message fit in roamPageBytes.
const roamFetch = 100

type getRoamMsgRequest struct {
	OperatorAccount *string `json:"Operator_Account"`
	PeerAccount     *string `json:"Peer_Account"`
	FromAccount     *string `json:"From_Account"` // legacy name of Operator_Account
	ToAccount       *string `json:"To_Account"`   // legacy name of Peer_Account
	MaxCnt          *int64  `json:"MaxCnt"`
	MinTime         *int64  `json:"MinTime"`
	MaxTime         *int64  `json:"MaxTime"`
	LastMsgKey      string  `json:"LastMsgKey"`
}

type roamMsg struct {
	FromAccount     string         `json:"From_Account"`
	ToAccount       string         `json:"To_Account"`
	MsgSeq          uint32         `json:"MsgSeq"`
	MsgRandom       uint32         `json:"MsgRandom"`
	MsgTimeStamp    int64          `json:"MsgTimeStamp"`
	MsgFlagBits     int            `json:"MsgFlagBits"`
	IsPeerRead      int            `json:"IsPeerRead"`
	MsgKey          string         `json:"MsgKey"`
	MsgBody         jsontext.Value `json:"MsgBody"`
	CloudCustomData string         `json:"CloudCustomData"`
}

type getRoamMsgResponse struct {
	envelope    `json:",inline"`
	Complete    int              `json:"Complete"`
	MsgCnt      int              `json:"MsgCnt"`
	LastMsgTime int64            `json:"LastMsgTime"`
	LastMsgKey  string           `json:"LastMsgKey"`
	MsgList     []jsontext.Value `json:"MsgList"`
}

// msgFlagRecalled is MsgFlagBits of a recalled message.
const msgFlagRecalled = 8

func roamItem(m *core.C2CMessage) roamMsg {
	it := roamMsg{
		FromAccount:     m.From,
		ToAccount:       m.To,
		MsgSeq:          m.Seq,
		MsgRandom:       m.Random,
		MsgTimeStamp:    m.Time,
		MsgKey:          m.Key().String(),
		MsgBody:         jsontext.Value(m.Body),
		CloudCustomData: m.CloudCustomData,
	}
	if m.Flags.Has(core.FlagRecalled) {
		it.MsgFlagBits = msgFlagRecalled
	}
	if m.Flags.Has(core.FlagPeerRead) {
		it.IsPeerRead = 1
	}
	return it
}

func (h *Handler) adminGetRoamMsg(ctx context.Context, c *call) (any, *wireError) {
	var req getRoamMsgRequest
	fields := fieldCodes{"Operator_Account": 90008, "From_Account": 90008, "Peer_Account": 90003, "To_Account": 90003}
	if err := c.decode(&req, fields); err != nil {
		return nil, err
	}
	owner, ok := userID(req.OperatorAccount, req.FromAccount)
	if !ok {
		return nil, fail(90008, "Operator_Account is missing")
	}
	peer, ok := userID(req.PeerAccount, req.ToAccount)
	if !ok {
		return nil, fail(90003, "Peer_Account is missing")
	}
	if req.MaxCnt == nil || *req.MaxCnt <= 0 || req.MinTime == nil || req.MaxTime == nil {
		return nil, fail(20001, "MaxCnt, MinTime and MaxTime are required; MaxCnt must be positive")
	}
	hr := core.HistoryRequest{
		App: c.app.ID, Owner: owner, Peer: peer,
		MinTime: *req.MinTime, MaxTime: *req.MaxTime,
		Limit: int(min(*req.MaxCnt, roamFetch)),
	}
	if req.LastMsgKey != "" {
		key, err := core.ParseMsgKey(req.LastMsgKey)
		if err != nil {
			return nil, fail(20001, "LastMsgKey is malformed")
		}
		hr.After = &key
	}
	page, err := h.svc.C2CHistory(ctx, hr)
	if err != nil {
		return nil, coreError(roamCodes, err)
	}
	return roamPage(page)
}

// roamPage encodes page (newest first) into an answer that lists the newest
// messages that fit roamPageBytes, oldest first; LastMsgKey names the oldest.
func roamPage(page core.HistoryPage) (any, *wireError) {
	resp := getRoamMsgResponse{envelope: okEnvelope, Complete: 1, MsgList: []jsontext.Value{}}
	items := make([]jsontext.Value, 0, len(page.Messages))
	size := 0
	for i := range page.Messages {
		b, err := json.Marshal(roamItem(&page.Messages[i]), jsontext.PreserveRawStrings(true))
		if err != nil {
			return nil, fail(91000, "internal error, please retry")
		}
		if len(items) > 0 && size+len(b)+1 > roamPageBytes {
			resp.Complete = 0
			break
		}
		size += len(b) + 1
		items = append(items, b)
	}
	if resp.Complete == 0 {
		// Never end a page between two messages sharing a key: the
		// continuation names the oldest by key alone.
		cut := core.CutPage(page.Messages, len(items))
		for i := len(items); i < cut; i++ {
			b, err := json.Marshal(roamItem(&page.Messages[i]), jsontext.PreserveRawStrings(true))
			if err != nil {
				return nil, fail(91000, "internal error, please retry")
			}
			items = append(items, b)
		}
		items = items[:cut]
	}
	if page.More {
		resp.Complete = 0
	}
	if n := len(items); n > 0 {
		oldest := &page.Messages[n-1]
		resp.LastMsgTime, resp.LastMsgKey = oldest.Time, oldest.Key().String()
		for i := n - 1; i >= 0; i-- {
			resp.MsgList = append(resp.MsgList, items[i])
		}
	}
	resp.MsgCnt = len(resp.MsgList)
	return resp, nil
}
