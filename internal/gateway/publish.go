package gateway

import (
	"context"
	"encoding/binary"
	"encoding/json"

	"github.com/parleyim/parley/internal/bus"
	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/protocol"
)

// A bus payload is a frame already encoded for devices, behind a 9-byte
// header: the event's sync number (8 bytes, big-endian; 0 for online-only
// messages) and flags. Every session of the user gets the same bytes.
const payloadHeader = 9

// Payload flags.
const (
	flagKick       byte = 1 << iota // after this frame the session closes with CloseKicked
	flagMembership                  // a group.join or group.leave: the session follows it
)

// liveEvent is a decoded payload.
type liveEvent struct {
	seq     uint64
	flags   byte
	frame   []byte // shared, read-only
	catchUp bool   // emitted by a catch-up (session.fill)
}

func encodePayload(seq uint64, flags byte, frame []byte) []byte {
	p := make([]byte, payloadHeader+len(frame))
	binary.BigEndian.PutUint64(p, seq)
	p[8] = flags
	copy(p[payloadHeader:], frame)
	return p
}

func decodePayload(p []byte) (liveEvent, bool) {
	if len(p) < payloadHeader {
		return liveEvent{}, false
	}
	return liveEvent{seq: binary.BigEndian.Uint64(p), flags: p[8], frame: p[payloadHeader:]}, true
}

// publisher turns committed inbox entries and group messages into frames,
// once each, and publishes them on their users' (groups') subjects, in
// commit order.
type publisher struct {
	g  *Gateway
	in chan core.Commit
}

func newPublisher(g *Gateway) *publisher {
	return &publisher{g: g, in: make(chan core.Commit, 4096)}
}

// Publish takes a commit (core.CommitFeed's function). It blocks only when
// the publisher is thousands of commits behind.
func (g *Gateway) Publish(c core.Commit) {
	select {
	case g.pub.in <- c:
	case <-g.ctx.Done():
	}
}

func (p *publisher) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-p.in:
			for i := range c.Inbox {
				p.publish(&c.Inbox[i])
			}
			for i := range c.Group {
				p.g.publishGroupMessage(&c.Group[i])
			}
		}
	}
}

func (p *publisher) publish(e *core.InboxEntry) {
	k := userKey{e.App, e.User}
	var flags byte
	if e.Kind == core.EventKick {
		flags |= flagKick
		p.g.hub.forget(k)
	}
	flags |= membershipFlag(e.Kind)
	subject := k.subject()
	if in, ok := p.g.bus.(bus.Interest); ok && !in.Interested(subject) {
		return // nobody online: devices catch up from the inbox later
	}
	frame, err := json.Marshal(eventFrame(e))
	if err != nil {
		p.g.cfg.Logger.Error("encode event", "kind", e.Kind, "err", err)
		return
	}
	if err := p.g.bus.Publish(subject, encodePayload(e.Seq, flags, frame)); err != nil {
		p.g.cfg.Logger.Warn("publish event", "err", err)
	}
}

// DeliverOnlineOnly implements core.LiveDelivery: the message is encoded
// once and offered to the online devices of users, without a sync number.
func (g *Gateway) DeliverOnlineOnly(m *core.C2CMessage, users []string) {
	ev := protocol.Event{Frame: protocol.Frame{Op: protocol.OpEvent}, Kind: protocol.KindC2C, Time: m.Time, Message: toMessage(m)}
	ev.Message.OnlineOnly = true
	frame, err := json.Marshal(ev)
	if err != nil {
		return
	}
	payload := encodePayload(0, 0, frame)
	for _, u := range users {
		g.bus.Publish(userKey{m.App, u}.subject(), payload)
	}
}

// eventFrame translates an inbox entry into its protocol frame.
func eventFrame(e *core.InboxEntry) protocol.Event {
	ev := protocol.Event{Frame: protocol.Frame{Op: protocol.OpEvent}, Seq: e.Seq, Time: e.Time}
	if e.Message != nil {
		ev.Message = toMessage(e.Message)
	}
	if e.Conv != nil {
		ev.Conversation = toConversation(e.Conv)
	}
	switch e.Kind {
	case core.EventC2C:
		ev.Kind = protocol.KindC2C
		if e.Message == nil {
			ev.Kind = protocol.KindExpired
		}
	case core.EventC2CRecall:
		ev.Kind = protocol.KindC2CRecall
	case core.EventC2CModify:
		ev.Kind = protocol.KindC2CModify
	case core.EventC2CExtension:
		ev.Kind = protocol.KindC2CExtension
	case core.EventC2CDelete:
		ev.Kind = protocol.KindC2CDelete
	case core.EventReadReport, core.EventPeerRead:
		ev.Kind = protocol.KindRead
		if e.Kind == core.EventPeerRead {
			ev.Kind = protocol.KindPeerRead
		}
		var r core.ReadReport
		if json.Unmarshal(e.Payload, &r) == nil {
			ev.Peer, ev.ReadTime = r.Peer, r.ReadTime
		}
		if ev.Peer == "" && e.Message != nil {
			ev.Peer = e.Message.To // a receipt: the reader
		}
	case core.EventConversationDeleted, core.EventConversationPinned:
		ev.Kind = protocol.KindConvDelete
		if e.Kind == core.EventConversationPinned {
			ev.Kind = protocol.KindConvPin
		}
		var r core.ConversationRef
		if json.Unmarshal(e.Payload, &r) == nil {
			ev.ConvType, ev.Peer, ev.ClearHistory, ev.Pinned = int(r.Type), r.Peer, r.ClearHistory, r.Pinned
		}
	case core.EventKick:
		ev.Kind = protocol.KindKick
	case core.EventGroupJoined, core.EventGroupLeft, core.EventGroupMuted, core.EventGroupRead:
		ev.Kind = map[core.EventKind]string{
			core.EventGroupJoined: protocol.KindGroupJoined, core.EventGroupLeft: protocol.KindGroupLeft,
			core.EventGroupMuted: protocol.KindGroupMuted, core.EventGroupRead: protocol.KindGroupRead,
		}[e.Kind]
		var r core.GroupRef
		if json.Unmarshal(e.Payload, &r) == nil {
			ev.Group, ev.MuteUntil, ev.Reason, ev.ReadSeq = r.Group, r.MuteUntil, r.Reason, r.ReadSeq
			if e.Kind == core.EventGroupRead {
				unread := r.Unread
				ev.Unread = &unread
			}
		}
	default:
		ev.Kind = e.Kind.String()
	}
	return ev
}

func toMessage(m *core.C2CMessage) *protocol.Message {
	out := &protocol.Message{
		From:            m.From,
		To:              m.To,
		Seq:             m.Seq,
		Random:          m.Random,
		Time:            m.Time,
		Key:             m.Key().String(),
		CloudCustomData: m.CloudCustomData,
		Recalled:        m.Flags.Has(core.FlagRecalled),
		Modified:        m.Flags.Has(core.FlagModified),
		PeerRead:        m.Flags.Has(core.FlagPeerRead),
		NeedReadReceipt: m.Flags.Has(core.FlagNeedReadReceipt),
		SupportExt:      m.Flags.Has(core.FlagSupportExtension),
		NoUnread:        m.Flags.Has(core.FlagNoUnread),
	}
	if !out.Recalled {
		out.Body = json.RawMessage(m.Body)
	} else {
		out.CloudCustomData = ""
	}
	return out
}

func toConversation(c *core.Conversation) *protocol.Conversation {
	return &protocol.Conversation{
		Type:     int(c.Type),
		Peer:     c.Peer,
		LastTime: c.LastTime,
		Unread:   c.Unread,
		ReadTime: c.ReadTime,
		Pinned:   c.Pinned,
		AtMe:     c.AtMe,
		AtAll:    c.AtAll,
	}
}

// membershipFlag marks the events a session must follow to keep its group
// fan-outs right.
func membershipFlag(k core.EventKind) byte {
	if k == core.EventGroupJoined || k == core.EventGroupLeft {
		return flagMembership
	}
	return 0
}

// Listens reports whether user may have a device listening (for
// core.FeedInterest): on a bus that knows its subscribers, whether the user's
// subject has one; otherwise always.
func (g *Gateway) Listens(app core.AppID, user string) bool {
	return g.interested(userKey{app, user}.subject())
}
