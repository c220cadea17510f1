package core

import (
	"context"
	"slices"
	"strconv"
)

// Group read receipts and message extensions.

// MaxGroupReceipts bounds one receipt request.
const MaxGroupReceipts = 50

// receiptTypes: receipts work in Work, Public and Meeting groups.
func receiptsAllowed(t GroupType) bool {
	return t == GroupPrivate || t == GroupPublic || t == GroupChatRoom
}

// SendGroupReceipts records that member user read the messages with seqs
// (those that asked for receipts). Refusals: NotFound (FieldGroup;
// FieldUser: not a member), Unsupported (group type), TooLarge (FieldList).
func (s *Service) SendGroupReceipts(ctx context.Context, app AppID, group, user string, seqs []uint64) error {
	cg, err := s.group(app, group)
	if err != nil {
		return err
	}
	if !receiptsAllowed(cg.snapshot().Type) {
		return Errorf(Unsupported, FieldGroup, "no read receipts in this group type")
	}
	if len(seqs) == 0 {
		return Errorf(Invalid, FieldList, "no messages")
	}
	if len(seqs) > MaxGroupReceipts {
		return Errorf(TooLarge, FieldList, "%d messages, limit %d", len(seqs), MaxGroupReceipts)
	}
	if _, ok := cg.member(user); !ok {
		return Errorf(NotFound, FieldUser, "%q is not a member", user)
	}
	_, err = s.gstore.AddGroupReceipts(ctx, app, group, user, seqs)
	return err
}

// ReceiptCount is how many members read a message and how many did not.
type ReceiptCount struct {
	Seq    uint64
	Read   int
	Unread int
	Err    error // NotFound: the message asked for no receipts (or is gone)
}

// GroupReceiptCounts counts receipts per message. Unread counts current
// members other than the sender who sent no receipt.
func (s *Service) GroupReceiptCounts(ctx context.Context, app AppID, group string, seqs []uint64) ([]ReceiptCount, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return nil, err
	}
	if !receiptsAllowed(cg.snapshot().Type) {
		return nil, Errorf(Unsupported, FieldGroup, "no read receipts in this group type")
	}
	out := make([]ReceiptCount, len(seqs))
	for i, seq := range seqs {
		out[i].Seq = seq
		m, err := s.groupMessage(ctx, app, group, seq)
		if err != nil {
			return nil, err
		}
		if m == nil || !m.Flags.Has(GFlagNeedReadReceipt) {
			out[i].Err = Errorf(NotFound, FieldKey, "message %d has no receipts", seq)
			continue
		}
		readers, err := s.gstore.GroupReceipts(ctx, app, group, seq)
		if err != nil {
			return nil, err
		}
		out[i].Read, out[i].Unread = len(readers), len(unreadMembers(cg, m, readers))
	}
	return out, nil
}

func (s *Service) groupMessage(ctx context.Context, app AppID, group string, seq uint64) (*GroupMessage, error) {
	msgs, err := s.gstore.GroupMessages(ctx, GroupMsgQuery{App: app, Group: group, MinSeq: seq, MaxSeq: seq, Limit: 1})
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	return &msgs[0], nil
}

// unreadMembers returns the members (but the sender) who sent no receipt.
func unreadMembers(cg *cachedGroup, m *GroupMessage, readers []string) []string {
	var out []string
	for _, u := range cg.memberIDs() {
		if u != m.From && m.VisibleTo(u) && !slices.Contains(readers, u) {
			out = append(out, u)
		}
	}
	return out
}

// ReceiptDetail is a page of the members who read (or did not read) a message.
type ReceiptDetail struct {
	Users    []string
	Next     string // cursor of the next page; "" when finished
	Finished bool
}

// GroupReceiptDetail pages the readers (unread false) or non-readers of a
// message, count at a time from cursor ("" first).
func (s *Service) GroupReceiptDetail(ctx context.Context, app AppID, group string, seq uint64, unread bool, cursor string, count int) (ReceiptDetail, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return ReceiptDetail{}, err
	}
	if !receiptsAllowed(cg.snapshot().Type) {
		return ReceiptDetail{}, Errorf(Unsupported, FieldGroup, "no read receipts in this group type")
	}
	if count <= 0 || count > 200 {
		return ReceiptDetail{}, Errorf(Invalid, "Count", "count %d", count)
	}
	m, err := s.groupMessage(ctx, app, group, seq)
	if err != nil {
		return ReceiptDetail{}, err
	}
	if m == nil || !m.Flags.Has(GFlagNeedReadReceipt) {
		return ReceiptDetail{}, Errorf(NotFound, FieldKey, "message %d has no receipts", seq)
	}
	users, err := s.gstore.GroupReceipts(ctx, app, group, seq)
	if err != nil {
		return ReceiptDetail{}, err
	}
	if unread {
		users = unreadMembers(cg, m, users)
	}
	slices.Sort(users)
	start := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return ReceiptDetail{}, Errorf(Invalid, "Cursor", "cursor %q", cursor)
		}
		start = min(n, len(users))
	}
	end := min(start+count, len(users))
	d := ReceiptDetail{Users: users[start:end], Finished: end == len(users)}
	if !d.Finished {
		d.Next = strconv.Itoa(end)
	}
	return d, nil
}

// extensionGroups: group message extensions work in Work, Public, Meeting
// and Community groups.
func extensionsAllowed(t GroupType) bool { return t != GroupAVChat }

// SetGroupExtensions is SetC2CExtensions for a group message (by seq).
func (s *Service) SetGroupExtensions(ctx context.Context, app AppID, group string, seq uint64, op ExtensionOp,
	items []ExtensionChange, checkSeq bool) ([]ExtensionResult, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return nil, err
	}
	if !extensionsAllowed(cg.snapshot().Type) {
		return nil, Errorf(Unsupported, FieldGroup, "no extensions in an AVChatRoom")
	}
	req := &ExtensionRequest{App: app, Op: op, Items: items, CheckSeq: checkSeq}
	if err := validateExtensionRequest(req); err != nil {
		return nil, err
	}
	var results []ExtensionResult
	_, err = s.gstore.UpdateGroupMessage(ctx, app, group, "", seq, func(m *GroupMessage, ext *Extensions) ([]InboxEvent, error) {
		if !m.Flags.Has(GFlagSupportExtension) {
			return nil, Errorf(Unsupported, FieldKey, "message %d does not support extensions", seq)
		}
		if !s.extLimit.allow(app, -m.ID, s.now()) {
			return nil, Errorf(RateLimited, FieldKey, "too many extension changes to message %d", seq)
		}
		results = applyExtensions(req, ext)
		return nil, nil
	})
	if err != nil {
		if KindOf(err) == NotFound {
			return nil, Errorf(NotFound, FieldKey, "no message %d", seq)
		}
		return nil, err
	}
	s.live.DeliverGroupChange(GroupChangeEvent{App: app, Group: group, Kind: GroupMessageExt, Seq: seq})
	return results, nil
}

// GroupExtensions is C2CExtensions for a group message.
func (s *Service) GroupExtensions(ctx context.Context, app AppID, group string, seq, startSeq uint64) (ExtensionPage, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return ExtensionPage{}, err
	}
	if !extensionsAllowed(cg.snapshot().Type) {
		return ExtensionPage{}, Errorf(Unsupported, FieldGroup, "no extensions in an AVChatRoom")
	}
	m, err := s.groupMessage(ctx, app, group, seq)
	if err != nil {
		return ExtensionPage{}, err
	}
	if m == nil {
		return ExtensionPage{}, Errorf(NotFound, FieldKey, "no message %d", seq)
	}
	if !m.Flags.Has(GFlagSupportExtension) {
		return ExtensionPage{}, Errorf(Unsupported, FieldKey, "message %d does not support extensions", seq)
	}
	ext, err := s.gstore.GroupMessageExtensions(ctx, app, m.ID)
	if err != nil {
		return ExtensionPage{}, err
	}
	return extensionPage(ext, startSeq), nil
}
