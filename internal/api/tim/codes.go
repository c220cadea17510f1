package tim

import (
	"errors"

	"github.com/parleyim/parley/internal/core"
)

// This file is the only place where a core refusal becomes a Tencent
// ErrorCode. Each command names the table it answers with; a table maps a
// core Kind, optionally narrowed to the offending core Field, to a code.
// TestEveryKindHasACode keeps every table complete.

// kindField narrows a Kind to one core field; an empty field matches any.
type kindField struct {
	kind  core.Kind
	field string
}

// codeTable maps core refusals to codes.
type codeTable map[kindField]int

// code returns the code for err: the (kind, field) row, else the kind's row,
// else the Internal row.
func (t codeTable) code(err error) int {
	k, f := core.KindOf(err), core.FieldOf(err)
	if c, ok := t[kindField{k, f}]; ok {
		return c
	}
	if c, ok := t[kindField{k, ""}]; ok {
		return c
	}
	return t[kindField{core.Internal, ""}]
}

// with returns a copy of t with rows added or replaced.
func (t codeTable) with(rows codeTable) codeTable {
	out := make(codeTable, len(t)+len(rows))
	for k, v := range t {
		out[k] = v
	}
	for k, v := range rows {
		out[k] = v
	}
	return out
}

// openimCodes answers v4/openim commands (C2C messages).
var openimCodes = codeTable{
	{core.Internal, ""}:                91000,
	{core.Invalid, ""}:                 20001, // request packet invalid
	{core.Invalid, core.FieldBody}:     90002,
	{core.Invalid, core.FieldContent}:  90010,
	{core.Invalid, core.FieldPush}:     90043,
	{core.Invalid, core.FieldLifeTime}: 90026,
	{core.Invalid, core.FieldSync}:     90031,
	{core.Invalid, core.FieldKey}:      90054,
	{core.NotFound, ""}:                20003, // sender or receiver not imported
	{core.NotFound, core.FieldTo}:      90012,
	{core.Forbidden, ""}:               90009,
	{core.Muted, ""}:                   20001,
	{core.TooLarge, ""}:                93000,
	{core.TooLarge, core.FieldList}:    90011,
	{core.RateLimited, ""}:             60007,
	{core.Duplicate, ""}:               20001,
	{core.RejectedByCallback, ""}:      20006,
	{core.Conflict, ""}:                20001,
	{core.Unsupported, ""}:             20001,
}

// loginCodes answers v4/im_open_login_svc commands (accounts).
var loginCodes = codeTable{
	{core.Internal, ""}:                70500,
	{core.Invalid, ""}:                 70402,
	{core.NotFound, ""}:                70107,
	{core.Forbidden, ""}:               70403,
	{core.Muted, ""}:                   70402,
	{core.TooLarge, ""}:                70402,
	{core.TooLarge, core.FieldNick}:    40601,
	{core.TooLarge, core.FieldFaceURL}: 40601,
	{core.TooLarge, core.FieldList}:    70206,
	{core.RateLimited, ""}:             60007,
	{core.Duplicate, ""}:               70402,
	{core.RejectedByCallback, ""}:      70402,
	{core.Conflict, ""}:                70402,
	{core.Unsupported, ""}:             70402,
}

// groupCodes answer the group service (group_open_http_svc and the topic
// commands of million_group_open_http_svc). The group pages list their
// codes per command; a row below that no page lists for the command that
// reaches it is marked "(choice)".
var groupCodes = codeTable{
	{core.Internal, ""}:                    10002,
	{core.Invalid, ""}:                     10004,
	{core.Invalid, core.FieldGroup}:        10015, // bad custom GroupId (choice for create_group: its page lists no 10015, the shared table's meaning fits)
	{core.NotFound, ""}:                    10004,
	{core.NotFound, core.FieldGroup}:       10010,
	{core.NotFound, core.FieldTopic}:       10010, // no such topic (choice: no topic code is documented)
	{core.NotFound, core.FieldUser}:        10019, // not imported, or not a member where one must be (choice for the latter)
	{core.Forbidden, ""}:                   10007,
	{core.Muted, ""}:                       10017,
	{core.TooLarge, ""}:                    10004,
	{core.TooLarge, core.FieldBody}:        80002, // message over 12 KB
	{core.TooLarge, core.FieldList}:        10005, // too many accounts in the body
	{core.TooLarge, core.FieldAt}:          10053, // more than 30 @ targets
	{core.TooLarge, core.FieldFull}:        10014, // the group is full
	{core.RateLimited, ""}:                 10023,
	{core.Duplicate, ""}:                   10021,
	{core.Duplicate, core.FieldGroup}:      10021, // GroupId taken
	{core.Duplicate, core.FieldGroupOwned}: 10025, // GroupId taken by a group of the same owner
	{core.Duplicate, core.FieldTopic}:      10021, // TopicId taken (choice)
	{core.RejectedByCallback, ""}:          10016,
	{core.Conflict, ""}:                    10004,
	{core.Unsupported, ""}:                 10007, // the group type does not allow it (Work mute, Community clear, receipts, To_Account …)
	{core.Unsupported, core.FieldTopic}:    10004, // TopicId in a group without topics
}

// sendGroupCodes: send_group_msg's page lists no 10005, so too many
// To_Account receivers is an invalid parameter.
var sendGroupCodes = groupCodes.with(codeTable{{core.TooLarge, core.FieldList}: 10004})

// recallCodes answer group_msg_recall, per message in RecallRetList too.
var recallCodes = groupCodes.with(codeTable{
	{core.NotFound, core.FieldKey}:      10030, // no such message
	{core.Duplicate, core.FieldKey}:     10032, // already recalled, a system message or deleted: not recallable
	{core.Unsupported, core.FieldGroup}: 10033, // AVChatRoom: the type cannot recall
	{core.TooLarge, core.FieldList}:     10004, // over 10 seqs
})

// historyCodes answer group_msg_get_simple: an AVChatRoom keeps no roaming.
var historyCodes = groupCodes.with(codeTable{{core.Unsupported, core.FieldGroup}: 10044})

// importGroupCodes answer import_group_msg, per message in ImportMsgResult too.
var importGroupCodes = groupCodes.with(codeTable{
	{core.TooLarge, core.FieldList}: 10004, // over 7 messages
	{core.Invalid, core.FieldUser}:  10004, // a sender not imported: a bad message
})

// deleteMemberCodes: delete_group_member's page answers 10004 in an AVChatRoom.
var deleteMemberCodes = groupCodes.with(codeTable{{core.Forbidden, core.FieldMembers}: 10004})

// groupReceiptCodes answer the group read-receipt commands.
var groupReceiptCodes = groupCodes.with(codeTable{
	{core.NotFound, core.FieldKey}:  10062, // the message asked for no receipts (or is gone)
	{core.TooLarge, core.FieldList}: 10004, // over 50 seqs
})

// topicCodes answer the topic commands: topic commands on a group without
// topics answer 11000, the code of the Community feature not being on
// (choice: no finer code is documented).
var topicCodes = groupCodes.with(codeTable{
	{core.Unsupported, core.FieldGroup}: 11000,
	{core.TooLarge, core.FieldList}:     10004, // over 200 topics
})

// groupExtCodes answer group_set_key_values and group_get_key_values: the
// extension service's codes, with the group service's for the group.
var groupExtCodes = extCodes.with(codeTable{
	{core.NotFound, core.FieldGroup}:    10010, // (choice: the extension pages list no group code)
	{core.Unsupported, core.FieldGroup}: 10004, // AVChatRoom keeps no messages to extend
})

// modifyGroupMsgCodes answer v4/openim/modify_group_msg: the openim codes,
// with the group service's for the group and message.
var modifyGroupMsgCodes = openimCodes.with(codeTable{
	{core.NotFound, core.FieldGroup}:    10010, // (choice: the page lists no group code)
	{core.NotFound, core.FieldTopic}:    10010,
	{core.NotFound, core.FieldKey}:      20022, // no such message, as admin_msgwithdraw says it
	{core.Unsupported, core.FieldTopic}: 20001,
})

// coreError turns a core refusal into the command's wire error.
func coreError(t codeTable, err error) *wireError {
	var we *wireError
	if errors.As(err, &we) {
		return we
	}
	code := t.code(err)
	return fail(code, errorInfo(code, err))
}

// errorInfo is the text answered with code. Tencent's texts are short
// English phrases; where none is documented the Kind names the problem.
func errorInfo(code int, err error) string {
	if s, ok := infoTexts[code]; ok {
		return s
	}
	if core.KindOf(err) == core.Internal {
		return "internal error, please retry"
	}
	var e *core.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return err.Error()
}

var infoTexts = map[int]string{
	10002: "internal error, please retry",
	10003: "invalid command word",
	10011: parseInfo,
	10017: "the sender is muted",
	10023: "messages are sent too fast",
	80002: "message is longer than 12 KB",
	20003: "From_Account or To_Account is invalid or not imported",
	20006: "rejected by the app's before-send callback",
	90001: parseInfo,
	90002: "MsgBody does not follow the message format",
	90003: "To_Account is missing or not a string",
	90005: "MsgRandom is missing or not an unsigned 32-bit integer",
	90007: "MsgBody is not an array",
	90009: "the request needs an app admin identifier",
	90010: "MsgContent does not follow the message format",
	90011: "too many accounts in the request",
	90012: "To_Account is not imported",
	90026: "MsgLifeTime is out of range",
	90031: "SyncOtherMachine is not an integer of 1, 2 or 3",
	90043: "OfflinePushInfo does not follow the format",
	90044: "MsgLifeTime is not an integer",
	90054: "MsgKey is malformed",
	91000: "internal error, please retry",
	93000: "message is longer than 12 KB",
	70107: "account not imported",
	70500: "internal error, please retry",
	40601: "Nick or FaceUrl is longer than 500 bytes",
	60007: "too many requests, please retry later",
}
