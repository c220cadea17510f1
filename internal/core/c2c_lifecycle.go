package core

import (
	"context"
	"encoding/json"
)

// The life of a C2C message after it is sent: recall, modify, read state,
// receipts and one-sided deletes.

// MaxDeleteKeys bounds DeleteC2CForUser.
const MaxDeleteKeys = 30

// needUserID checks id is a well-formed UserID (existence is not required:
// the messages of deleted accounts can still be managed).
func needUserID(id, field string) error {
	if !ValidUserID(id) {
		return Errorf(NotFound, field, "bad UserID %q", id)
	}
	return nil
}

// eventsFor returns one event of kind for each user.
func eventsFor(kind EventKind, users ...string) []InboxEvent {
	out := make([]InboxEvent, len(users))
	for i, u := range users {
		out[i] = InboxEvent{User: u, Kind: kind}
	}
	return out
}

// RecallC2C recalls the message from sent to to with key. It stays in both
// histories flagged as recalled (devices stop showing its content), stops
// counting as unread, and both sides' devices are told. There is no time
// limit. NotFound (FieldKey) when there is no such message; Duplicate when it
// was already recalled.
func (s *Service) RecallC2C(ctx context.Context, app AppID, from, to string, key MsgKey) error {
	if _, err := s.app(app); err != nil {
		return err
	}
	if err := needUserID(from, FieldFrom); err != nil {
		return err
	}
	if err := needUserID(to, FieldTo); err != nil {
		return err
	}
	_, err := s.store.UpdateC2C(ctx, app, from, to, key, func(m *C2CMessage) ([]InboxEvent, error) {
		if m.Flags.Has(FlagRecalled) {
			return nil, Errorf(Duplicate, FieldKey, "message %s already recalled", key)
		}
		m.Flags |= FlagRecalled
		return eventsFor(EventC2CRecall, m.sidesSeeing()...), nil
	})
	return notFoundKey(err, key)
}

// notFoundKey makes a store's NotFound about a message carry FieldKey.
func notFoundKey(err error, key MsgKey) error {
	if KindOf(err) == NotFound && FieldOf(err) == "" {
		return Errorf(NotFound, FieldKey, "no message %s", key)
	}
	return err
}

// C2CModify overwrites a stored message's body and/or custom data.
type C2CModify struct {
	App  AppID
	From string
	To   string
	Key  MsgKey
	// Body replaces the body when not nil.
	Body json.RawMessage
	// CloudCustomData replaces the custom data when not nil.
	CloudCustomData *string
}

// ModifyC2C overwrites a message's body and/or custom data, validated like a
// send; history then returns the new content and both sides' devices are
// told. Invalid when neither is given or the body is malformed, TooLarge
// when the result is over MaxMessageBytes, NotFound (FieldKey) when there is
// no such message.
func (s *Service) ModifyC2C(ctx context.Context, req *C2CModify) error {
	if _, err := s.app(req.App); err != nil {
		return err
	}
	if req.Body == nil && req.CloudCustomData == nil {
		return Errorf(Invalid, FieldBody, "nothing to modify")
	}
	if req.Body != nil {
		if err := ValidateBody(req.Body); err != nil {
			return err
		}
	}
	if err := needUserID(req.From, FieldFrom); err != nil {
		return err
	}
	if err := needUserID(req.To, FieldTo); err != nil {
		return err
	}
	_, err := s.store.UpdateC2C(ctx, req.App, req.From, req.To, req.Key, func(m *C2CMessage) ([]InboxEvent, error) {
		if req.Body != nil {
			m.Body = req.Body
		}
		if req.CloudCustomData != nil {
			m.CloudCustomData = *req.CloudCustomData
		}
		if n := len(m.Body) + len(m.CloudCustomData); n > MaxMessageBytes {
			return nil, Errorf(TooLarge, FieldBody, "message would be %d bytes, limit %d", n, MaxMessageBytes)
		}
		m.Flags |= FlagModified
		return eventsFor(EventC2CModify, m.sidesSeeing()...), nil
	})
	return notFoundKey(err, req.Key)
}

// ReadReport is the payload of read events.
type ReadReport struct {
	Peer     string `json:"Peer"`
	ReadTime int64  `json:"ReadTime"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only core's own payload types reach here
	}
	return b
}

// SetC2CRead marks reporter's conversation with peer read up to readTime
// (Unix seconds; 0 or later than now means now): the messages from peer up
// to then stop counting as unread, peer's history shows them as read by the
// peer (IsPeerRead), and both sides' devices are told. NotFound (FieldFrom,
// FieldTo) when either account is not imported. It returns the
// conversation's unread count after the report.
func (s *Service) SetC2CRead(ctx context.Context, app AppID, reporter, peer string, readTime int64) (int, error) {
	if _, err := s.app(app); err != nil {
		return 0, err
	}
	if err := s.needAccount(app, reporter, FieldFrom); err != nil {
		return 0, err
	}
	if err := s.needAccount(app, peer, FieldTo); err != nil {
		return 0, err
	}
	now := s.Now()
	if readTime <= 0 || readTime > now {
		readTime = now
	}
	events := []InboxEvent{
		{User: reporter, Kind: EventReadReport, Payload: mustJSON(ReadReport{Peer: peer, ReadTime: readTime})},
		{User: peer, Kind: EventPeerRead, Payload: mustJSON(ReadReport{Peer: reporter, ReadTime: readTime})},
	}
	c, err := s.store.MarkC2CRead(ctx, app, reporter, peer, readTime, events)
	if err != nil {
		return 0, err
	}
	return c.Unread, nil
}

// MaxUnreadPeers bounds the per-peer form of C2CUnread.
const MaxUnreadPeers = 10

// PeerUnread is one peer's unread count, or why there is none.
type PeerUnread struct {
	Peer   string
	Unread int
	Err    error // NotFound when the peer is not imported
}

// C2CUnread returns user's total C2C unread count, or, when peers are
// given, the count of each of those conversations. NotFound (FieldTo) when
// user is not imported; TooLarge (FieldList) for more than MaxUnreadPeers.
func (s *Service) C2CUnread(ctx context.Context, app AppID, user string, peers []string) (total int, per []PeerUnread, err error) {
	if _, err := s.app(app); err != nil {
		return 0, nil, err
	}
	if err := s.needAccount(app, user, FieldTo); err != nil {
		return 0, nil, err
	}
	if len(peers) > MaxUnreadPeers {
		return 0, nil, Errorf(TooLarge, FieldList, "%d peers, limit %d", len(peers), MaxUnreadPeers)
	}
	if len(peers) == 0 {
		total, err := s.store.C2CUnreadTotal(ctx, app, user)
		if err != nil {
			return 0, nil, err
		}
		return total, nil, nil
	}
	per = make([]PeerUnread, len(peers))
	for i, p := range peers {
		per[i].Peer = p
		if err := s.needAccount(app, p, FieldPeer); err != nil {
			per[i].Err = err
			continue
		}
		c, ok, err := s.store.Conversation(ctx, app, user, ConvC2C, p)
		if err != nil {
			return 0, nil, err
		}
		if ok {
			per[i].Unread = c.Unread
			total += c.Unread
		}
	}
	return total, per, nil
}

// DeleteC2CForUser deletes messages of the conversation between operator
// and peer from operator's history only; peer's history keeps them. Keys
// that name no message are ignored. operator's devices are told.
// TooLarge (FieldList) for more than MaxDeleteKeys keys; NotFound
// (FieldFrom) when operator is not imported.
func (s *Service) DeleteC2CForUser(ctx context.Context, app AppID, operator, peer string, keys []MsgKey) error {
	if _, err := s.app(app); err != nil {
		return err
	}
	if len(keys) > MaxDeleteKeys {
		return Errorf(TooLarge, FieldList, "%d keys, limit %d", len(keys), MaxDeleteKeys)
	}
	if err := s.needAccount(app, operator, FieldFrom); err != nil {
		return err
	}
	if err := needUserID(peer, FieldTo); err != nil {
		return err
	}
	for _, key := range keys {
		found, err := s.store.FindC2C(ctx, app, operator, peer, key)
		if err != nil {
			return err
		}
		for _, m := range found {
			_, err := s.store.UpdateC2C(ctx, app, m.From, m.To, key, func(m *C2CMessage) ([]InboxEvent, error) {
				if !m.VisibleTo(operator) {
					return nil, nil
				}
				if m.From == operator {
					m.Flags |= FlagDeletedBySender
				}
				if m.To == operator {
					m.Flags |= FlagDeletedByReceiver
				}
				return eventsFor(EventC2CDelete, operator), nil
			})
			if err != nil && KindOf(err) != NotFound {
				return err
			}
		}
	}
	return nil
}

// ReceiptResult is the outcome of a read receipt for one message.
type ReceiptResult struct {
	Key MsgKey
	Err error // NotFound: no such message; Unsupported: no receipt was asked for
}

// C2CReadReceipt records that reader read the messages peer sent with keys,
// for messages sent asking for a read receipt: the sender's history shows
// them as read (IsPeerRead) and the sender's devices are told. Per message
// it reports NotFound (no such message) or Unsupported (no receipt asked).
func (s *Service) C2CReadReceipt(ctx context.Context, app AppID, reader, peer string, keys []MsgKey) ([]ReceiptResult, error) {
	if _, err := s.app(app); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, Errorf(Invalid, FieldList, "no messages")
	}
	if len(keys) > MaxDeleteKeys {
		return nil, Errorf(TooLarge, FieldList, "%d keys, limit %d", len(keys), MaxDeleteKeys)
	}
	if err := s.needAccount(app, reader, FieldFrom); err != nil {
		return nil, err
	}
	if err := s.needAccount(app, peer, FieldTo); err != nil {
		return nil, err
	}
	out := make([]ReceiptResult, len(keys))
	for i, key := range keys {
		out[i].Key = key
		_, err := s.store.UpdateC2C(ctx, app, peer, reader, key, func(m *C2CMessage) ([]InboxEvent, error) {
			if !m.Flags.Has(FlagNeedReadReceipt) {
				return nil, Errorf(Unsupported, FieldKey, "message %s asked for no receipt", key)
			}
			if m.Flags.Has(FlagPeerRead) {
				return nil, nil
			}
			m.Flags |= FlagPeerRead
			return eventsFor(EventPeerRead, peer), nil
		})
		switch KindOf(err) {
		case 0:
		case NotFound, Unsupported:
			out[i].Err = notFoundKey(err, key)
		default:
			return nil, err
		}
	}
	return out, nil
}

// annotatePeerRead sets FlagPeerRead on the messages of a page that their
// receiver has read, given each side's read time of the conversation.
func annotatePeerRead(msgs []C2CMessage, readTimes map[string]int64) {
	for i := range msgs {
		m := &msgs[i]
		if rt, ok := readTimes[m.To]; ok && m.From != m.To && m.Time <= rt {
			m.Flags |= FlagPeerRead
		}
	}
}
