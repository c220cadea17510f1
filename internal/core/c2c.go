package core

import (
	"context"
	"encoding/json"
)

// SyncMode says which sides of a C2C message keep and receive it
// (the wire's SyncOtherMachine).
type SyncMode uint8

const (
	// SyncDefault stores the message in both histories; the sender's other
	// devices are not sent it live.
	SyncDefault SyncMode = iota
	// SyncBoth also sends it live to the sender's online devices.
	SyncBoth
	// SyncNotSender keeps it out of the sender's history and devices.
	SyncNotSender
	// SyncNotReceiver keeps it out of the receiver's history and devices.
	SyncNotReceiver
)

// MaxOfflineLifetime caps how long a message waits for an offline device.
const MaxOfflineLifetime = 7 * 24 * 3600

// MaxBatchReceivers bounds BatchSendC2C.
const MaxBatchReceivers = 500

// C2CSend is a request to send one single-chat message.
type C2CSend struct {
	App  AppID
	From string
	To   string
	// Seq is the caller's MsgSeq; when HasSeq is false a random one is used.
	Seq    uint32
	HasSeq bool
	Random uint32
	// Time is the caller's MsgTimeStamp (Unix seconds); 0 means now.
	Time            int64
	Body            json.RawMessage
	CloudCustomData string
	OfflinePush     json.RawMessage // nil when absent
	Sync            SyncMode
	// OnlineOnly messages reach only devices online now and are never stored.
	OnlineOnly bool
	// LifeTime is how long (seconds) the message waits for offline devices;
	// only meaningful when HasLifeTime. 0 makes it online-only; more than
	// MaxOfflineLifetime is clamped; absent means the maximum.
	LifeTime    int64
	HasLifeTime bool

	NoUnread              bool
	NoLastMsg             bool
	WithMuteNotifications bool
	NoMsgCheck            bool
	SupportExtension      bool
	NeedReadReceipt       bool
	// ForbidBeforeCallback and ForbidAfterCallback suppress the app's send
	// callbacks for this message.
	ForbidBeforeCallback bool
	ForbidAfterCallback  bool

	Origin Origin // OriginSend or OriginDevice
}

// Sent is the outcome of an accepted send.
type Sent struct {
	Key  MsgKey
	Time int64
	// Stored is false for online-only messages.
	Stored bool
	// Duplicate is true when an identical earlier send was found: nothing
	// new was stored and Key is the earlier message's.
	Duplicate bool
}

// validateContent checks what every C2C write shares: body, custom data and
// push info. Bodies are validated before accounts so that a malformed request
// is reported as such whoever it names.
func validateMessage(body json.RawMessage, customData string, push json.RawMessage) error {
	if err := ValidateBody(body); err != nil {
		return err
	}
	if n := len(body) + len(customData); n > MaxMessageBytes {
		return Errorf(TooLarge, FieldBody, "message is %d bytes, limit %d", n, MaxMessageBytes)
	}
	if push != nil {
		if err := ValidateOfflinePush(push); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) needAccount(app AppID, id, field string) error {
	if !ValidUserID(id) {
		return Errorf(NotFound, field, "bad UserID %q", id)
	}
	if !s.accounts.exists(app, id) {
		return Errorf(NotFound, field, "account %q not imported", id)
	}
	return nil
}

// newMessage builds the stored form of req for receiver to, applying the
// sync, lifetime and control rules.
func (s *Service) newMessage(req *C2CSend, to string, now int64) (*C2CMessage, error) {
	m := &C2CMessage{
		App:             req.App,
		From:            req.From,
		To:              to,
		Seq:             req.Seq,
		Random:          req.Random,
		Time:            req.Time,
		Body:            req.Body,
		CloudCustomData: req.CloudCustomData,
		OfflinePush:     req.OfflinePush,
		Origin:          req.Origin,
	}
	if !req.HasSeq {
		m.Seq = randomUint32()
	}
	if m.Time == 0 {
		m.Time = now
	}
	switch req.Sync {
	case SyncDefault:
		m.Flags |= FlagSenderHistory | FlagReceiverHistory
	case SyncBoth:
		m.Flags |= FlagSenderHistory | FlagReceiverHistory | FlagSyncSender
	case SyncNotSender:
		m.Flags |= FlagReceiverHistory
	case SyncNotReceiver:
		m.Flags |= FlagSenderHistory | FlagSyncSender
	default:
		return nil, Errorf(Invalid, FieldSync, "sync mode %d", req.Sync)
	}
	if req.Origin == OriginDevice {
		m.Flags |= FlagSyncSender
	}
	life := int64(MaxOfflineLifetime)
	if req.HasLifeTime {
		if req.LifeTime < 0 {
			return nil, Errorf(Invalid, FieldLifeTime, "lifetime %d", req.LifeTime)
		}
		life = min(req.LifeTime, MaxOfflineLifetime)
	}
	m.OfflineUntil = m.Time + life
	for _, c := range [...]struct {
		on   bool
		flag MsgFlags
	}{
		{req.NoUnread, FlagNoUnread},
		{req.NoLastMsg, FlagNoLastMsg},
		{req.WithMuteNotifications, FlagWithMuteNotifications},
		{req.NoMsgCheck, FlagNoMsgCheck},
		{req.SupportExtension, FlagSupportExtension},
		{req.NeedReadReceipt, FlagNeedReadReceipt},
	} {
		if c.on {
			m.Flags |= c.flag
		}
	}
	return m, nil
}

// onlineOnly reports whether req is never stored: OnlineOnly, or a lifetime of 0.
func (req *C2CSend) onlineOnly() bool {
	return req.OnlineOnly || (req.HasLifeTime && req.LifeTime == 0)
}

// SendC2C validates req and stores the message. It returns once the message
// is committed; delivery to devices comes later and is never waited for.
// Online-only messages are not stored and get a key all the same.
//
// A refusal is an *Error: Invalid (body, sync mode, lifetime), TooLarge
// (over MaxMessageBytes), NotFound with FieldFrom or FieldTo (account not
// imported or not a valid UserID). A retry with the same From, To, Seq,
// Random and Time stores nothing and answers the first send's key
// (Duplicate). Any other error leaves the outcome unknown. Safe for
// concurrent use.
func (s *Service) SendC2C(ctx context.Context, req *C2CSend) (Sent, error) {
	if _, err := s.app(req.App); err != nil {
		return Sent{}, err
	}
	if err := validateMessage(req.Body, req.CloudCustomData, req.OfflinePush); err != nil {
		return Sent{}, err
	}
	if err := s.needAccount(req.App, req.From, FieldFrom); err != nil {
		return Sent{}, err
	}
	if err := s.needAccount(req.App, req.To, FieldTo); err != nil {
		return Sent{}, err
	}
	m, err := s.newMessage(req, req.To, s.Now())
	if err != nil {
		return Sent{}, err
	}
	if req.onlineOnly() {
		s.live.DeliverOnlineOnly(m, onlineOnlyReceivers(m))
		return Sent{Key: m.Key(), Time: m.Time}, nil
	}
	dup, err := s.store.AppendC2C(ctx, []*C2CMessage{m})
	if err != nil {
		return Sent{}, err
	}
	return Sent{Key: m.Key(), Time: m.Time, Stored: true, Duplicate: dup[0]}, nil
}

// BatchSent is the outcome of BatchSendC2C.
type BatchSent struct {
	Key  MsgKey // one key for every receiver
	Time int64
	// Failed lists the receivers that got nothing, with the reason (an
	// *Error of kind NotFound for receivers that are not imported).
	Failed []BatchFailure
}

// BatchFailure is one receiver BatchSendC2C could not send to.
type BatchFailure struct {
	To  string
	Err error
}

// BatchSendC2C sends one message from req.From to each receiver in to, with
// one MsgKey for all; req.To is ignored. Every stored copy is committed in one
// transaction before it returns. Receivers that are not imported are listed in
// Failed; when every receiver failed the result is a NotFound error (FieldTo).
// More than MaxBatchReceivers is TooLarge (FieldList); none is Invalid
// (FieldList). The app's callbacks are never called for batch sends.
func (s *Service) BatchSendC2C(ctx context.Context, req *C2CSend, to []string) (BatchSent, error) {
	if _, err := s.app(req.App); err != nil {
		return BatchSent{}, err
	}
	if len(to) == 0 {
		return BatchSent{}, Errorf(Invalid, FieldList, "no receivers")
	}
	if len(to) > MaxBatchReceivers {
		return BatchSent{}, Errorf(TooLarge, FieldList, "%d receivers, limit %d", len(to), MaxBatchReceivers)
	}
	if err := validateMessage(req.Body, req.CloudCustomData, req.OfflinePush); err != nil {
		return BatchSent{}, err
	}
	if err := s.needAccount(req.App, req.From, FieldFrom); err != nil {
		return BatchSent{}, err
	}
	if !req.HasSeq {
		req.Seq, req.HasSeq = randomUint32(), true
	}
	req.Origin = OriginBatch
	now := s.Now()
	var out BatchSent
	msgs := make([]*C2CMessage, 0, len(to))
	seen := make(map[string]bool, len(to))
	for _, u := range to {
		if err := s.needAccount(req.App, u, FieldTo); err != nil {
			out.Failed = append(out.Failed, BatchFailure{To: u, Err: err})
			continue
		}
		if seen[u] {
			continue
		}
		seen[u] = true
		m, err := s.newMessage(req, u, now)
		if err != nil {
			return BatchSent{}, err
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return out, Errorf(NotFound, FieldTo, "no receiver is imported")
	}
	out.Key, out.Time = msgs[0].Key(), msgs[0].Time
	if req.onlineOnly() {
		for _, m := range msgs {
			s.live.DeliverOnlineOnly(m, onlineOnlyReceivers(m))
		}
		return out, nil
	}
	if _, err := s.store.AppendC2C(ctx, msgs); err != nil {
		return BatchSent{}, err
	}
	return out, nil
}

// ImportMode says how an imported message counts (the wire's SyncFromOldSystem).
type ImportMode uint8

const (
	// ImportRealtime imports a message as if sent now: it counts as unread
	// and is pushed (wire values 1 and 5).
	ImportRealtime ImportMode = iota + 1
	// ImportHistory imports old history: no unread, no push (wire value 2).
	ImportHistory
)

// C2CImport is one message imported from another system.
type C2CImport struct {
	App    AppID
	Mode   ImportMode
	From   string
	To     string
	Seq    uint32
	HasSeq bool // when false a random Seq is used
	Random uint32
	Time   int64 // MsgTimeStamp, required
	Body   json.RawMessage
	// CloudCustomData is stored with the message.
	CloudCustomData string
}

// ImportC2C stores an imported message in both sides' history. Messages of
// one conversation with the same Seq, Random and Time (in either direction)
// are one message: the first import wins and later ones store nothing. The
// app's callbacks are never called. Refusals are as for SendC2C, plus
// Invalid (FieldTime) for a missing or negative time.
func (s *Service) ImportC2C(ctx context.Context, req *C2CImport) (duplicate bool, err error) {
	if _, err := s.app(req.App); err != nil {
		return false, err
	}
	if req.Mode != ImportRealtime && req.Mode != ImportHistory {
		return false, Errorf(Invalid, "", "import mode %d", req.Mode)
	}
	if req.Time <= 0 {
		return false, Errorf(Invalid, FieldTime, "import time %d", req.Time)
	}
	if err := validateMessage(req.Body, req.CloudCustomData, nil); err != nil {
		return false, err
	}
	if err := s.needAccount(req.App, req.From, FieldFrom); err != nil {
		return false, err
	}
	if err := s.needAccount(req.App, req.To, FieldTo); err != nil {
		return false, err
	}
	m := &C2CMessage{
		App:             req.App,
		From:            req.From,
		To:              req.To,
		Seq:             req.Seq,
		Random:          req.Random,
		Time:            req.Time,
		Body:            req.Body,
		CloudCustomData: req.CloudCustomData,
		Flags:           FlagSenderHistory | FlagReceiverHistory,
		Origin:          OriginImport,
		OfflineUntil:    req.Time + MaxOfflineLifetime,
	}
	if !req.HasSeq {
		m.Seq = randomUint32()
	}
	if req.Mode == ImportHistory {
		m.Flags |= FlagImported | FlagNoUnread
	}
	dup, err := s.store.AppendC2C(ctx, []*C2CMessage{m})
	if err != nil {
		return false, err
	}
	return dup[0], nil
}

// HistoryRequest asks for a page of one conversation's history as Owner sees it.
type HistoryRequest struct {
	App     AppID
	Owner   string
	Peer    string
	MinTime int64 // inclusive
	MaxTime int64 // inclusive
	// Limit is the most messages to return; at least 1.
	Limit int
	// After is the key of the oldest message of the previous page; the page
	// continues with the messages before it.
	After *MsgKey
}

// HistoryPage is a page of history, newest first.
type HistoryPage struct {
	Messages []C2CMessage
	// More reports that older messages in the range remain.
	More bool
}

// C2CHistory returns the newest messages of the conversation that Owner's
// history shows, within [MinTime, MaxTime] clipped to the app's roaming
// period, newest first. Recalled messages are included (flagged).
//
// A continuation key that names no message continues from the position the
// key's time and Seq imply. NotFound (FieldFrom or FieldTo) when Owner or
// Peer is not imported; Invalid for a Limit below 1.
func (s *Service) C2CHistory(ctx context.Context, req HistoryRequest) (HistoryPage, error) {
	app, err := s.app(req.App)
	if err != nil {
		return HistoryPage{}, err
	}
	if req.Limit < 1 {
		return HistoryPage{}, Errorf(Invalid, FieldList, "limit %d", req.Limit)
	}
	if err := s.needAccount(req.App, req.Owner, FieldFrom); err != nil {
		return HistoryPage{}, err
	}
	if err := s.needAccount(req.App, req.Peer, FieldTo); err != nil {
		return HistoryPage{}, err
	}
	own, _, err := s.store.Conversation(ctx, req.App, req.Owner, ConvC2C, req.Peer)
	if err != nil {
		return HistoryPage{}, err
	}
	q := C2CQuery{
		App:     req.App,
		Owner:   req.Owner,
		Peer:    req.Peer,
		MinTime: max(req.MinTime, s.now().Add(-app.RoamingPeriod()).Unix()),
		MaxTime: req.MaxTime,
		AfterID: own.ClearedID,
		Limit:   req.Limit + 1,
	}
	if q.MinTime > q.MaxTime {
		return HistoryPage{}, nil
	}
	if req.After != nil {
		cur, err := s.cursorOf(ctx, req.App, req.Owner, req.Peer, *req.After)
		if err != nil {
			return HistoryPage{}, err
		}
		q.Before = &cur
	}
	msgs, err := s.store.C2CHistory(ctx, q)
	if err != nil {
		return HistoryPage{}, err
	}
	page := HistoryPage{Messages: msgs}
	if len(msgs) > req.Limit {
		page.Messages, page.More = msgs[:CutPage(msgs, req.Limit)], true
	}
	theirs, _, err := s.store.Conversation(ctx, req.App, req.Peer, ConvC2C, req.Owner)
	if err != nil {
		return HistoryPage{}, err
	}
	annotatePeerRead(page.Messages, map[string]int64{req.Owner: own.ReadTime, req.Peer: theirs.ReadTime})
	return page, nil
}

// CutPage returns where to end a page of msgs (newest first) that should
// hold n messages: n, or fewer when msgs[n-1] and msgs[n] share a MsgKey.
// A continuation names the page's oldest message by its key alone, so two
// messages with one key (one each way, same Seq, Random and second) must
// not be split between pages. If every message up to n shares the key, the
// page grows past n instead.
func CutPage(msgs []C2CMessage, n int) int {
	if n <= 0 || n >= len(msgs) {
		return min(max(n, 0), len(msgs))
	}
	cut := n
	for cut > 0 && msgs[cut-1].Key() == msgs[cut].Key() {
		cut--
	}
	if cut > 0 {
		return cut
	}
	for cut = n; cut < len(msgs) && msgs[cut-1].Key() == msgs[cut].Key(); cut++ {
	}
	return cut
}

// cursorOf finds where key sits in the conversation's history order: at the
// oldest message with the key (pages never split messages sharing one). A
// key that names no stored message sits before every message of its time
// and Seq.
func (s *Service) cursorOf(ctx context.Context, app AppID, a, b string, key MsgKey) (HistoryCursor, error) {
	found, err := s.store.FindC2C(ctx, app, a, b, key)
	if err != nil {
		return HistoryCursor{}, err
	}
	if len(found) == 0 {
		return HistoryCursor{Time: key.Time, Seq: key.Seq, ID: 0}, nil
	}
	return CursorOf(&found[0]), nil
}
