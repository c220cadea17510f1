package sqlstore

import "slices"

// Types a schema spells differently per engine.
type Types struct {
	Int  string // 64-bit integer
	Blob string // bytes
	// IDColumn declares an auto-assigned 64-bit primary key that rises in
	// commit order and is never reused, even after the newest rows were
	// deleted (SQLite needs AUTOINCREMENT for that).
	IDColumn string
	// WithoutRowID is appended to tables keyed by their primary key.
	WithoutRowID string
}

// Schema returns the DDL of every table, in the engine's types.
func Schema(t Types) []string {
	return slices.Concat([]string{
		// One row per imported account; deleted accounts are tombstoned
		// (deleted = 1) so that a re-import keeps Created.
		`CREATE TABLE IF NOT EXISTS accounts (
			app ` + t.Int + ` NOT NULL,
			id TEXT NOT NULL,
			nick TEXT NOT NULL DEFAULT '',
			face_url TEXT NOT NULL DEFAULT '',
			created ` + t.Int + ` NOT NULL,
			kicked_at ` + t.Int + ` NOT NULL DEFAULT 0,
			deleted ` + t.Int + ` NOT NULL DEFAULT 0,
			PRIMARY KEY (app, id)
		)` + t.WithoutRowID,
		// One row per C2C message, seen from both sides. conv is the two
		// UserIDs in byte order joined by NUL; history reads walk c2c_conv.
		// counts_unread is core's C2CMessage.CountsUnread (0 or 1), kept
		// in sync with flags so that SQL never re-encodes that rule.
		`CREATE TABLE IF NOT EXISTS c2c_messages (
			id ` + t.IDColumn + `,
			app ` + t.Int + ` NOT NULL,
			conv TEXT NOT NULL,
			sender TEXT NOT NULL,
			receiver TEXT NOT NULL,
			time ` + t.Int + ` NOT NULL,
			seq ` + t.Int + ` NOT NULL,
			random ` + t.Int + ` NOT NULL,
			body ` + t.Blob + ` NOT NULL,
			custom TEXT NOT NULL DEFAULT '',
			push ` + t.Blob + `,
			flags ` + t.Int + ` NOT NULL,
			origin ` + t.Int + ` NOT NULL,
			offline_until ` + t.Int + ` NOT NULL,
			counts_unread ` + t.Int + ` NOT NULL
		)`,
		`CREATE INDEX IF NOT EXISTS c2c_conv ON c2c_messages (app, conv, time, seq, id)`,
		// A message's extension sequence numbers; no row means both are 0.
		`CREATE TABLE IF NOT EXISTS c2c_ext (
			app ` + t.Int + ` NOT NULL,
			msg_id ` + t.Int + ` NOT NULL,
			latest_seq ` + t.Int + ` NOT NULL,
			clear_seq ` + t.Int + ` NOT NULL,
			PRIMARY KEY (app, msg_id)
		)` + t.WithoutRowID,
		// A message's extension key-value pairs, one row per pair.
		`CREATE TABLE IF NOT EXISTS c2c_ext_items (
			app ` + t.Int + ` NOT NULL,
			msg_id ` + t.Int + ` NOT NULL,
			ext_key TEXT NOT NULL,
			ext_value TEXT NOT NULL,
			seq ` + t.Int + ` NOT NULL,
			PRIMARY KEY (app, msg_id, ext_key)
		)` + t.WithoutRowID,
		// Each owner's conversations (core.Conversation), one row per peer.
		// last_* is (0, 0, 0) while the conversation has no last message.
		`CREATE TABLE IF NOT EXISTS conversations (
			app ` + t.Int + ` NOT NULL,
			owner TEXT NOT NULL,
			type ` + t.Int + ` NOT NULL,
			peer TEXT NOT NULL,
			last_id ` + t.Int + ` NOT NULL DEFAULT 0,
			last_time ` + t.Int + ` NOT NULL DEFAULT 0,
			last_seq ` + t.Int + ` NOT NULL DEFAULT 0,
			unread ` + t.Int + ` NOT NULL DEFAULT 0,
			read_time ` + t.Int + ` NOT NULL DEFAULT 0,
			unread_floor ` + t.Int + ` NOT NULL DEFAULT 0,
			cleared_id ` + t.Int + ` NOT NULL DEFAULT 0,
			pinned ` + t.Int + ` NOT NULL DEFAULT 0,
			pinned_at ` + t.Int + ` NOT NULL DEFAULT 0,
			hidden ` + t.Int + ` NOT NULL DEFAULT 0,
			PRIMARY KEY (app, owner, type, peer)
		)` + t.WithoutRowID,
		// Each owner's shown (hidden = 0) conversations in list order
		// (newest last message first, then by peer), so that a page of the
		// list (ListConversations) reads only its own rows; pinned lets
		// the page's peers be found in the index alone. Every message that
		// updates a conversation moves its entry (the send-side cost).
		`CREATE INDEX IF NOT EXISTS conv_recent ON conversations (app, owner, type, hidden, last_time DESC, peer, pinned)`,
		// Pinned conversations. Partial: sends, which never change pinned,
		// do not touch it.
		`CREATE INDEX IF NOT EXISTS conv_pinned ON conversations (app, owner, pinned) WHERE pinned = 1`,
		// Each user's inbox: numbered events (core.InboxEntry). time is
		// when the entry was stored, for PurgeInbox.
		`CREATE TABLE IF NOT EXISTS inbox (
			app ` + t.Int + ` NOT NULL,
			owner TEXT NOT NULL,
			seq ` + t.Int + ` NOT NULL,
			kind ` + t.Int + ` NOT NULL,
			msg_id ` + t.Int + ` NOT NULL,
			payload ` + t.Blob + `,
			time ` + t.Int + ` NOT NULL,
			PRIMARY KEY (app, owner, seq)
		)` + t.WithoutRowID,
		// Inbox numbers that must outlive the entries carrying them. A
		// user's head (the number of the newest entry ever stored) is the
		// greater of this row's head and the user's largest inbox seq:
		// PurgeInbox records here the largest number it deletes, and with
		// Engine.SingleWriter false every new number is taken here.
		`CREATE TABLE IF NOT EXISTS inbox_heads (
			app ` + t.Int + ` NOT NULL,
			owner TEXT NOT NULL,
			head ` + t.Int + ` NOT NULL,
			PRIMARY KEY (app, owner)
		)` + t.WithoutRowID,
	}, groupSchema(t))
}

// groupSchema is the DDL of groups (core.GroupStore). Destroying a group
// deletes every row keyed by it; nothing is tombstoned. Lists of strings
// (app-defined pairs, mutes, a message's receivers and @-mentions) are
// stored with encodeStrings (group_codec.go); NULL is nil.
func groupSchema(t Types) []string {
	return []string{
		// One row per live group (core.Group): its info and the counters
		// every append moves. next_seq is the seq the next message takes;
		// the row's lock (PostgreSQL) or the committer (SQLite) serializes
		// the appends of one group.
		`CREATE TABLE IF NOT EXISTS chat_groups (
			app ` + t.Int + ` NOT NULL,
			id TEXT NOT NULL,
			type TEXT NOT NULL,
			name TEXT NOT NULL,
			introduction TEXT NOT NULL,
			notification TEXT NOT NULL,
			face_url TEXT NOT NULL,
			owner TEXT NOT NULL,
			create_time ` + t.Int + ` NOT NULL,
			info_seq ` + t.Int + ` NOT NULL,
			last_info_time ` + t.Int + ` NOT NULL,
			max_members ` + t.Int + ` NOT NULL,
			apply_join TEXT NOT NULL,
			invite_join TEXT NOT NULL,
			mute_all ` + t.Int + ` NOT NULL,
			support_topic ` + t.Int + ` NOT NULL,
			app_defined ` + t.Blob + `,
			mutes ` + t.Blob + `,
			next_seq ` + t.Int + ` NOT NULL,
			last_seq ` + t.Int + ` NOT NULL,
			last_time ` + t.Int + ` NOT NULL,
			last_msg_time ` + t.Int + ` NOT NULL,
			counted ` + t.Int + ` NOT NULL,
			at_all_seq ` + t.Int + ` NOT NULL,
			cleared_seq ` + t.Int + ` NOT NULL,
			member_count ` + t.Int + ` NOT NULL,
			PRIMARY KEY (app, id)
		)` + t.WithoutRowID,
		// One row per member (core.Member); AVChatRoom groups have none.
		`CREATE TABLE IF NOT EXISTS group_members (
			app ` + t.Int + ` NOT NULL,
			grp TEXT NOT NULL,
			member_id TEXT NOT NULL,
			role TEXT NOT NULL,
			join_time ` + t.Int + ` NOT NULL,
			read_seq ` + t.Int + ` NOT NULL,
			read_counted ` + t.Int + ` NOT NULL,
			msg_flag TEXT NOT NULL,
			last_send_msg_time ` + t.Int + ` NOT NULL,
			mute_until ` + t.Int + ` NOT NULL,
			name_card TEXT NOT NULL,
			app_defined ` + t.Blob + `,
			at_me_seq ` + t.Int + ` NOT NULL,
			PRIMARY KEY (app, grp, member_id)
		)` + t.WithoutRowID,
		// One row per group message, stored once (read diffusion), keyed
		// for reads by seq. topic is '' outside topics; each topic has its
		// own seq space. id comes from group_msg_ids: unique across group
		// messages and never reused.
		`CREATE TABLE IF NOT EXISTS group_messages (
			app ` + t.Int + ` NOT NULL,
			grp TEXT NOT NULL,
			topic TEXT NOT NULL,
			seq ` + t.Int + ` NOT NULL,
			id ` + t.Int + ` NOT NULL,
			sender TEXT NOT NULL,
			random ` + t.Int + ` NOT NULL,
			time ` + t.Int + ` NOT NULL,
			priority ` + t.Int + ` NOT NULL,
			body ` + t.Blob + ` NOT NULL,
			custom TEXT NOT NULL,
			push ` + t.Blob + `,
			flags ` + t.Int + ` NOT NULL,
			receivers ` + t.Blob + `,
			at_users ` + t.Blob + `,
			PRIMARY KEY (app, grp, topic, seq)
		)` + t.WithoutRowID,
		// Group message IDs: each append inserts a row and takes its id
		// (an engine sequence: no lock shared by all groups). Only the
		// newest row matters; PurgeGroupMessages deletes the others.
		`CREATE TABLE IF NOT EXISTS group_msg_ids (id ` + t.IDColumn + `)`,
		// A group message's extensions, as c2c_ext and c2c_ext_items are
		// for C2C (the two ID spaces are separate, so are the tables).
		`CREATE TABLE IF NOT EXISTS group_ext (
			app ` + t.Int + ` NOT NULL,
			msg_id ` + t.Int + ` NOT NULL,
			latest_seq ` + t.Int + ` NOT NULL,
			clear_seq ` + t.Int + ` NOT NULL,
			PRIMARY KEY (app, msg_id)
		)` + t.WithoutRowID,
		`CREATE TABLE IF NOT EXISTS group_ext_items (
			app ` + t.Int + ` NOT NULL,
			msg_id ` + t.Int + ` NOT NULL,
			ext_key TEXT NOT NULL,
			ext_value TEXT NOT NULL,
			seq ` + t.Int + ` NOT NULL,
			PRIMARY KEY (app, msg_id, ext_key)
		)` + t.WithoutRowID,
		// Read receipts of group messages (outside topics): who read which seq.
		`CREATE TABLE IF NOT EXISTS group_receipts (
			app ` + t.Int + ` NOT NULL,
			grp TEXT NOT NULL,
			seq ` + t.Int + ` NOT NULL,
			reader TEXT NOT NULL,
			PRIMARY KEY (app, grp, seq, reader)
		)` + t.WithoutRowID,
		// Community topics (core.Topic) with their own seq counters.
		`CREATE TABLE IF NOT EXISTS group_topics (
			app ` + t.Int + ` NOT NULL,
			grp TEXT NOT NULL,
			id TEXT NOT NULL,
			name TEXT NOT NULL,
			introduction TEXT NOT NULL,
			notification TEXT NOT NULL,
			face_url TEXT NOT NULL,
			custom_string TEXT NOT NULL,
			create_time ` + t.Int + ` NOT NULL,
			next_seq ` + t.Int + ` NOT NULL,
			last_seq ` + t.Int + ` NOT NULL,
			last_time ` + t.Int + ` NOT NULL,
			mute_all ` + t.Int + ` NOT NULL,
			PRIMARY KEY (app, grp, id)
		)` + t.WithoutRowID,
		// Group conversations by group, for DestroyGroup. Partial: C2C
		// conversations, the most written rows, do not pay for it.
		`CREATE INDEX IF NOT EXISTS conv_groups ON conversations (app, peer) WHERE type = ` + groupType,
	}
}
