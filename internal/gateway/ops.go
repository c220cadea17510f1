package gateway

import (
	"encoding/json"
	"errors"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/protocol"
)

// Requests devices make. Each translates a frame into a core call made as
// the logged-in user, and the outcome into an answer frame.

// handle answers one request frame.
func (s *session) handle(data []byte) {
	var f protocol.Frame
	if err := json.Unmarshal(data, &f); err != nil {
		s.closeGracefully(protocol.CloseBadRequest, "frame is not a JSON object")
		return
	}
	if s.kicked.Load() {
		return
	}
	op := ops[f.Op]
	if op == nil {
		s.fail(f.ID, &protocol.Error{Code: protocol.CodeInvalid, Message: "unknown op " + f.Op})
		return
	}
	answer, perr := op(s, data)
	if perr != nil {
		s.fail(f.ID, perr)
		return
	}
	if answer != nil {
		s.send(answer)
	}
}

func (s *session) fail(id int64, e *protocol.Error) {
	e.ID, e.Op = id, protocol.OpError
	s.send(e)
}

// ops maps each client operation to its handler. A handler returns the
// answer frame (with ID and Op set) or a refusal.
var ops = map[string]func(s *session, data []byte) (any, *protocol.Error){
	protocol.OpPing:          opPing,
	protocol.OpSend:          opSend,
	protocol.OpSync:          opSync,
	protocol.OpRead:          opRead,
	protocol.OpHistory:       opHistory,
	protocol.OpConversations: opConversations,
	protocol.OpUnread:        opUnread,
	protocol.OpPin:           opPin,
	protocol.OpDeleteConv:    opDeleteConversation,
	protocol.OpReceipt:       opReceipt,
	protocol.OpExtension:     opExtension,
	protocol.OpLogin: func(*session, []byte) (any, *protocol.Error) {
		return nil, &protocol.Error{Code: protocol.CodeInvalid, Message: "already logged in"}
	},
}

// decodeOp parses a request frame into v.
func decodeOp(data []byte, v any) *protocol.Error {
	if err := json.Unmarshal(data, v); err != nil {
		return &protocol.Error{Code: protocol.CodeInvalid, Message: "malformed request: " + err.Error()}
	}
	return nil
}

func ok(id int64) protocol.Frame { return protocol.Frame{ID: id, Op: protocol.OpOK} }

func opPing(s *session, data []byte) (any, *protocol.Error) {
	var f protocol.Frame
	json.Unmarshal(data, &f)
	return protocol.Frame{ID: f.ID, Op: protocol.OpPong}, nil
}

func opSend(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.Send
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	send := &core.C2CSend{
		App:              s.key.app,
		From:             s.key.user,
		To:               req.To,
		Random:           req.Random,
		Body:             req.Body,
		CloudCustomData:  req.CloudCustomData,
		OfflinePush:      req.OfflinePush,
		OnlineOnly:       req.OnlineOnly,
		NoUnread:         req.NoUnread,
		NoLastMsg:        req.NoLastMsg,
		NeedReadReceipt:  req.NeedReadReceipt,
		SupportExtension: req.SupportExtension,
		Origin:           core.OriginDevice,
	}
	if req.Seq != nil {
		send.Seq, send.HasSeq = *req.Seq, true
	}
	if len(send.Body) == 0 {
		return nil, &protocol.Error{Code: protocol.CodeInvalid, Message: "body is missing", Field: "body"}
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	sent, err := s.g.svc.SendC2C(ctx, send)
	if err != nil {
		return nil, refusal(err)
	}
	return protocol.Sent{Frame: ok(req.ID), MsgKey: sent.Key.String(), MsgTime: sent.Time}, nil
}

func opSync(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.Sync
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	const limit = 200
	entries, err := s.g.svc.Sync(ctx, s.key.app, s.key.user, req.After, limit+1)
	if err != nil {
		return nil, refusal(err)
	}
	head, err := s.g.svc.InboxHead(ctx, s.key.app, s.key.user)
	if err != nil {
		return nil, refusal(err)
	}
	answer := protocol.SyncOK{Frame: ok(req.ID), Head: head, Events: []protocol.Event{}}
	if len(entries) > limit {
		entries, answer.More = entries[:limit], true
	}
	for i := range entries {
		answer.Events = append(answer.Events, eventFrame(&entries[i]))
	}
	return answer, nil
}

func opRead(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.Read
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	unread, err := s.g.svc.SetC2CRead(ctx, s.key.app, s.key.user, req.Peer, req.Time)
	if err != nil {
		return nil, refusal(err)
	}
	return protocol.ReadOK{Frame: ok(req.ID), Unread: unread}, nil
}

// maxHistoryPage bounds a device's history page.
const maxHistoryPage = 100

func opHistory(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.History
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	hr := core.HistoryRequest{
		App: s.key.app, Owner: s.key.user, Peer: req.Peer,
		MinTime: req.MinTime, MaxTime: req.MaxTime, Limit: req.Limit,
	}
	if hr.MaxTime == 0 {
		hr.MaxTime = s.g.svc.Now()
	}
	if hr.Limit <= 0 {
		hr.Limit = 20
	}
	hr.Limit = min(hr.Limit, maxHistoryPage)
	if req.BeforeKey != "" {
		key, err := core.ParseMsgKey(req.BeforeKey)
		if err != nil {
			return nil, &protocol.Error{Code: protocol.CodeInvalid, Message: "before_key is malformed", Field: "before_key"}
		}
		hr.After = &key
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	page, err := s.g.svc.C2CHistory(ctx, hr)
	if err != nil {
		return nil, refusal(err)
	}
	answer := protocol.HistoryOK{Frame: ok(req.ID), Messages: make([]protocol.Message, len(page.Messages)), More: page.More}
	for i := range page.Messages {
		answer.Messages[i] = *toMessage(&page.Messages[i])
	}
	return answer, nil
}

func opConversations(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.Conversations
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	page, err := s.g.svc.Conversations(ctx, core.ConvListRequest{
		App: s.key.app, Owner: s.key.user,
		Normal:        core.ConvCursor{Time: req.CursorTime, Index: req.CursorIndex},
		SupportPinned: req.PinnedFirst,
	})
	if err != nil {
		return nil, refusal(err)
	}
	answer := protocol.ConversationsOK{Frame: ok(req.ID), Complete: page.Complete,
		CursorTime: page.Normal.Time, CursorIndex: page.Normal.Index,
		Conversations: make([]protocol.Conversation, len(page.Items))}
	for i := range page.Items {
		answer.Conversations[i] = *toConversation(&page.Items[i])
	}
	return answer, nil
}

func opUnread(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.Unread
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	total, per, err := s.g.svc.C2CUnread(ctx, s.key.app, s.key.user, req.Peers)
	if err != nil {
		return nil, refusal(err)
	}
	answer := protocol.UnreadOK{Frame: ok(req.ID), Total: total}
	if len(req.Peers) > 0 {
		answer.Peers = map[string]int{}
		for _, p := range per {
			if p.Err == nil {
				answer.Peers[p.Peer] = p.Unread
			}
		}
	}
	return answer, nil
}

func opPin(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.Pin
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	if err := s.g.svc.PinConversation(ctx, s.key.app, s.key.user, core.ConvType(req.Type), req.Peer, req.Pinned); err != nil {
		return nil, refusal(err)
	}
	return ok(req.ID), nil
}

func opDeleteConversation(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.DeleteConversation
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	if err := s.g.svc.DeleteConversation(ctx, s.key.app, s.key.user, core.ConvType(req.Type), req.Peer, req.ClearHistory); err != nil {
		return nil, refusal(err)
	}
	return ok(req.ID), nil
}

func opReceipt(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.Receipt
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	keys := make([]core.MsgKey, len(req.Keys))
	for i, k := range req.Keys {
		key, err := core.ParseMsgKey(k)
		if err != nil {
			return nil, &protocol.Error{Code: protocol.CodeInvalid, Message: "malformed key " + k, Field: "keys"}
		}
		keys[i] = key
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	results, err := s.g.svc.C2CReadReceipt(ctx, s.key.app, s.key.user, req.Peer, keys)
	if err != nil {
		return nil, refusal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			return nil, refusal(r.Err)
		}
	}
	return ok(req.ID), nil
}

func opExtension(s *session, data []byte) (any, *protocol.Error) {
	var req protocol.Extension
	if err := decodeOp(data, &req); err != nil {
		return nil, err
	}
	if req.From != s.key.user && req.To != s.key.user {
		return nil, &protocol.Error{Code: protocol.CodeForbidden, Message: "only the two sides of a message may change its extensions"}
	}
	key, err := core.ParseMsgKey(req.Key)
	if err != nil {
		return nil, &protocol.Error{Code: protocol.CodeInvalid, Message: "key is malformed", Field: "key"}
	}
	ext := &core.ExtensionRequest{App: s.key.app, From: req.From, To: req.To, Key: key,
		Op: core.ExtensionOp(req.Operation), CheckSeq: true}
	for _, it := range req.Items {
		ext.Items = append(ext.Items, core.ExtensionChange{Key: it.Key, Value: it.Value, Seq: it.Seq})
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	results, err := s.g.svc.SetC2CExtensions(ctx, ext)
	if err != nil {
		return nil, refusal(err)
	}
	answer := protocol.ExtensionOK{Frame: ok(req.ID), Items: make([]protocol.ExtensionItem, len(results))}
	for i, r := range results {
		it := protocol.ExtensionItem{Key: ext.Items[i].Key, Value: r.Extension.Value, Seq: r.Extension.Seq}
		if r.Err != nil {
			it.Code = refusal(r.Err).Code
		}
		answer.Items[i] = it
	}
	return answer, nil
}

// refusal translates a core error into the protocol's terms.
func refusal(err error) *protocol.Error {
	code := protocol.CodeInternal
	switch core.KindOf(err) {
	case core.Invalid:
		code = protocol.CodeInvalid
	case core.NotFound:
		code = protocol.CodeNotFound
	case core.Forbidden, core.Muted:
		code = protocol.CodeForbidden
	case core.TooLarge:
		code = protocol.CodeTooLarge
	case core.RateLimited:
		code = protocol.CodeRateLimited
	case core.Duplicate:
		code = protocol.CodeDuplicate
	case core.RejectedByCallback:
		code = protocol.CodeRejected
	case core.Conflict:
		code = protocol.CodeConflict
	case core.Unsupported:
		code = protocol.CodeUnsupported
	}
	e := &protocol.Error{Code: code, Field: core.FieldOf(err)}
	var ce *core.Error
	if errors.As(err, &ce) && code != protocol.CodeInternal {
		e.Message = ce.Reason
	} else {
		e.Message = "internal error, retry"
	}
	return e
}
