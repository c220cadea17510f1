package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/parleyim/parley/internal/core"
)

// Group messages: append (the hot path of send_group_msg), import, reads by
// seq, changes and extensions.
//
// Seqs: an append takes its seq with one UPDATE … RETURNING of the group's
// row (a topic's row for a topic message), which bumps next_seq and moves
// the counters in the same statement; the old next_seq is the message's
// seq. Inside the transaction that row is locked, so on PostgreSQL appends
// to one group from several nodes queue on it and get 1, 2, 3 … without
// gaps; on SQLite the committer is the only writer anyway. A rolled-back
// append gives its seq back with everything else.
//
// IDs: every append inserts a row into group_msg_ids and takes its id, an
// engine sequence (AUTOINCREMENT, identity) that is never reused and takes
// no lock that appends to other groups wait for.
//
// An append costs, besides its inbox events: the seq UPDATE, the ID
// INSERT, the message INSERT and an UPDATE of the sender's member row (plus
// one per @-mentioned member). All are prepared statements reaching their
// rows by primary key.

type groupMsgStmts struct {
	wTakeGroupSeq, wTouchGroup, wTakeTopicSeq, wNewGroupMsgID, wNewGroupMsgIDExec *sql.Stmt
	wInsertGroupMsg                                                               *sql.Stmt
	wSenderSent, wAtMe, wResetUnread, wGroupMsg, wSaveGroupMsg                    *sql.Stmt
	rGroupMsgsAsc, rGroupMsgsDesc                                                 *sql.Stmt
	wGroupExtMeta, wGroupExtItems, rGroupExtMeta, rGroupExtItems                  *sql.Stmt
	wPutGroupExtMeta, wPutGroupExtItem, wDeleteGroupExtItem                       *sql.Stmt
}

const groupMsgColumns = `app, grp, topic, seq, id, sender, random, time, priority, body, custom, push, flags,
	receivers, at_users`

// groupMsgRange selects a page of one group's (topic's) messages: $1 app,
// $2 group, $3 topic, seqs from $4 to $5, at most $6.
const groupMsgRange = `SELECT ` + groupMsgColumns + ` FROM group_messages
	WHERE app = $1 AND grp = $2 AND topic = $3 AND seq >= $4 AND seq <= $5`

// lastMsgTime keeps the newest of the stored time and $3.
const lastMsgTime = `last_msg_time = CASE WHEN $3 > last_msg_time THEN $3 ELSE last_msg_time END`

const (
	groupExtMetaSelect  = `SELECT latest_seq, clear_seq FROM group_ext WHERE app = $1 AND msg_id = $2`
	groupExtItemsSelect = `SELECT ext_key, ext_value, seq FROM group_ext_items WHERE app = $1 AND msg_id = $2`
)

func (st *groupMsgStmts) defs() []stmtDef {
	return []stmtDef{
		// $1 app, $2 group, $3 the message's time, $4 it updates
		// conversations, $5 it counts unread, $6 it is an @all: the SET
		// expressions read the row before the update, so next_seq in them
		// is the message's seq.
		{&st.wTakeGroupSeq, true, `UPDATE chat_groups SET next_seq = next_seq + 1, ` + lastMsgTime + `,
			last_seq = CASE WHEN $4 = 1 THEN next_seq ELSE last_seq END,
			last_time = CASE WHEN $4 = 1 THEN $3 ELSE last_time END,
			counted = counted + $5,
			at_all_seq = CASE WHEN $6 = 1 THEN next_seq ELSE at_all_seq END` + groupWhere +
			` RETURNING ` + groupColumns},
		{&st.wTouchGroup, true, `UPDATE chat_groups SET ` + lastMsgTime + groupWhere + ` RETURNING ` + groupColumns},
		// $1 app, $2 group, $3 topic, $4 time, $5 it updates conversations.
		{&st.wTakeTopicSeq, true, `UPDATE group_topics SET next_seq = next_seq + 1,
			last_seq = CASE WHEN $5 = 1 THEN next_seq ELSE last_seq END,
			last_time = CASE WHEN $5 = 1 THEN $4 ELSE last_time END
			WHERE app = $1 AND grp = $2 AND id = $3 RETURNING next_seq`},
		{&st.wNewGroupMsgID, true, `INSERT INTO group_msg_ids DEFAULT VALUES RETURNING id`},
		// The same for engines with LastInsertId (cheaper than RETURNING).
		{&st.wNewGroupMsgIDExec, true, `INSERT INTO group_msg_ids DEFAULT VALUES`},
		{&st.wInsertGroupMsg, true, `INSERT INTO group_messages (` + groupMsgColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`},
		// The sender sent at $4; a group (not topic) message $5 with the
		// group's count after it $6 is read by its sender ($7 = 1).
		{&st.wSenderSent, true, `UPDATE group_members SET last_send_msg_time =
			CASE WHEN $4 > last_send_msg_time THEN $4 ELSE last_send_msg_time END,
			read_seq = CASE WHEN $7 = 1 AND $5 > read_seq THEN $5 ELSE read_seq END,
			read_counted = CASE WHEN $7 = 1 AND $6 > read_counted THEN $6 ELSE read_counted END` + memberWhere},
		{&st.wAtMe, true, `UPDATE group_members SET at_me_seq = $4` + memberWhere},
		// Every member of $2 has read up to seq $4 and count $3.
		{&st.wResetUnread, true, `UPDATE group_members SET read_counted = $3,
			read_seq = CASE WHEN $4 > read_seq THEN $4 ELSE read_seq END WHERE app = $1 AND grp = $2`},
		{&st.wGroupMsg, true, `SELECT ` + groupMsgColumns + ` FROM group_messages
			WHERE app = $1 AND grp = $2 AND topic = $3 AND seq = $4`},
		{&st.wSaveGroupMsg, true, `UPDATE group_messages SET flags = $5, body = $6, custom = $7
			WHERE app = $1 AND grp = $2 AND topic = $3 AND seq = $4`},
		{&st.rGroupMsgsAsc, false, groupMsgRange + ` ORDER BY seq LIMIT $6`},
		{&st.rGroupMsgsDesc, false, groupMsgRange + ` ORDER BY seq DESC LIMIT $6`},
		{&st.wGroupExtMeta, true, groupExtMetaSelect},
		{&st.wGroupExtItems, true, groupExtItemsSelect},
		{&st.rGroupExtMeta, false, groupExtMetaSelect},
		{&st.rGroupExtItems, false, groupExtItemsSelect},
		{&st.wPutGroupExtMeta, true, `INSERT INTO group_ext (app, msg_id, latest_seq, clear_seq) VALUES ($1, $2, $3, $4)
			ON CONFLICT (app, msg_id) DO UPDATE SET latest_seq = excluded.latest_seq, clear_seq = excluded.clear_seq`},
		{&st.wPutGroupExtItem, true, `INSERT INTO group_ext_items (app, msg_id, ext_key, ext_value, seq) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (app, msg_id, ext_key) DO UPDATE SET ext_value = excluded.ext_value, seq = excluded.seq`},
		{&st.wDeleteGroupExtItem, true, `DELETE FROM group_ext_items WHERE app = $1 AND msg_id = $2 AND ext_key = $3`},
	}
}

// AppendGroupMessage stores a.Msg as the comment at the top of this file
// describes, with a.Events (an event without MsgID gets the message's ID),
// and hands the message to the commit feed. A topic message moves the
// topic's NextSeq, LastSeq and LastTime and, of its group, only
// LastMsgTime and the sender's LastSendMsgTime: Counted, AtAllSeq and
// AtMeSeq count in the group's seq space, which topics do not share.
func (s *Store) AppendGroupMessage(ctx context.Context, a *core.GroupAppend) (core.Group, error) {
	m := a.Msg
	var out core.Group
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		g, found, err := s.appendGroupMsg(ctx, tx, m, a.UpdatesConversation, a.Counts, true)
		if err != nil {
			return err
		}
		if !found {
			return Unchanged(noGroupOrTopic(m.Group, m.Topic))
		}
		out = g
		if s.feed != nil {
			s.txGroupMsgs = append(s.txGroupMsgs, *m)
		}
		return s.addInbox(ctx, tx, m.App, withMsgID(a.Events, m.ID), nil)
	})
	if err != nil {
		return core.Group{}, err
	}
	return out, nil
}

func noGroupOrTopic(group, topic string) error {
	if topic != "" {
		return core.Errorf(core.NotFound, "", "no topic %s in group %s", topic, group)
	}
	return noGroup(group)
}

// withMsgID returns events with MsgID set to id where it is 0, copying
// events only when one needs it.
func withMsgID(events []core.InboxEvent, id int64) []core.InboxEvent {
	for i := range events {
		if events[i].MsgID == 0 {
			out := slices.Clone(events)
			for j := range out[i:] {
				if out[i+j].MsgID == 0 {
					out[i+j].MsgID = id
				}
			}
			return out
		}
	}
	return events
}

// appendGroupMsg stores m with the next seq of its group (topic) and a new
// ID, moving the counters updates and counts say; live (a send, not an
// import) also moves AtAllSeq, the AtMeSeq of m.AtUsers and the sender's
// LastSendMsgTime (forward only), and (outside topics) the sender's read
// position to the message: nobody has unread messages of their own. found is false, with nothing written, when there is no
// such group (topic). It returns the group as stored.
func (s *Store) appendGroupMsg(ctx context.Context, tx *sql.Tx, m *core.GroupMessage, updates, counts, live bool) (g core.Group, found bool, err error) {
	app := int64(m.App)
	if m.Topic == "" {
		atAll := live && m.Flags.Has(core.GFlagAtAll)
		g, err = scanGroup(s.bound(ctx, tx, s.stmt.wTakeGroupSeq).QueryRowContext(ctx,
			app, m.Group, m.Time, bit(updates), bit(counts), bit(atAll)))
		if errors.Is(err, sql.ErrNoRows) {
			return g, false, nil
		}
		if err != nil {
			return g, false, fmt.Errorf("seq of group %s: %w", m.Group, err)
		}
		m.Seq = g.NextSeq - 1
	} else {
		var next int64
		err := s.bound(ctx, tx, s.stmt.wTakeTopicSeq).QueryRowContext(ctx, app, m.Group, m.Topic, m.Time, bit(updates)).Scan(&next)
		if errors.Is(err, sql.ErrNoRows) {
			return g, false, nil
		}
		if err != nil {
			return g, false, fmt.Errorf("seq of topic %s: %w", m.Topic, err)
		}
		m.Seq = uint64(next) - 1
		// A topic row implies its group's: DestroyGroup deletes both.
		if g, err = scanGroup(s.bound(ctx, tx, s.stmt.wTouchGroup).QueryRowContext(ctx, app, m.Group, m.Time)); err != nil {
			return g, false, fmt.Errorf("group %s of topic %s: %w", m.Group, m.Topic, err)
		}
	}
	if m.ID, err = s.newGroupMsgID(ctx, tx); err != nil {
		return g, false, fmt.Errorf("group message ID: %w", err)
	}
	_, err = s.bound(ctx, tx, s.stmt.wInsertGroupMsg).ExecContext(ctx, app, m.Group, m.Topic, int64(m.Seq), m.ID,
		m.From, int64(m.Random), m.Time, int64(m.Priority), bodyArg(m.Body), m.CloudCustomData, nullBytes(m.OfflinePush),
		int64(m.Flags), encodeStrings(m.To), encodeStrings(m.AtUsers))
	if err != nil {
		return g, false, fmt.Errorf("insert group message %s/%d: %w", m.Group, m.Seq, err)
	}
	if !live {
		return g, true, nil
	}
	if m.From != "" {
		senderRead := bit(m.Topic == "")
		if _, err := s.bound(ctx, tx, s.stmt.wSenderSent).ExecContext(ctx, app, m.Group, m.From, m.Time,
			int64(m.Seq), int64(g.Counted), senderRead); err != nil {
			return g, false, fmt.Errorf("last send of %s in %s: %w", m.From, m.Group, err)
		}
	}
	if m.Topic == "" {
		for _, u := range m.AtUsers {
			if _, err := s.bound(ctx, tx, s.stmt.wAtMe).ExecContext(ctx, app, m.Group, u, int64(m.Seq)); err != nil {
				return g, false, fmt.Errorf("@ of %s in %s: %w", u, m.Group, err)
			}
		}
	}
	return g, true, nil
}

// newGroupMsgID takes the next group message ID.
func (s *Store) newGroupMsgID(ctx context.Context, tx *sql.Tx) (int64, error) {
	if !s.engine.LastInsertID {
		var id int64
		err := s.bound(ctx, tx, s.stmt.wNewGroupMsgID).QueryRowContext(ctx).Scan(&id)
		return id, err
	}
	res, err := s.bound(ctx, tx, s.stmt.wNewGroupMsgIDExec).ExecContext(ctx)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// bodyArg stores a nil body as an empty one (the column is NOT NULL).
func bodyArg(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// ImportGroupMessages stores msgs in order into group (setting their App
// and Group), each taking the next seq of the group or of its topic, then
// sets every member's ReadCounted to the group's Counted and raises its
// ReadSeq to the group's last seq (as core's cache does). An imported
// message moves LastSeq and LastTime when it UpdatesConversation and
// Counted when it CountsUnread (by its own flags: core marks imports
// GFlagImported, which counts nothing), never AtAllSeq, AtMeSeq or
// LastSendMsgTime, and reaches no feed: imports are history, not news.
func (s *Store) ImportGroupMessages(ctx context.Context, app core.AppID, group string, msgs []*core.GroupMessage) (core.Group, error) {
	var out core.Group
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if out, err = s.groupIn(ctx, tx, app, group); err != nil {
			return err
		}
		for i, m := range msgs {
			m.App, m.Group = app, group
			g, found, err := s.appendGroupMsg(ctx, tx, m, m.UpdatesConversation(), m.CountsUnread(), false)
			if err != nil {
				return err
			}
			if !found {
				if i == 0 {
					return Unchanged(noGroupOrTopic(group, m.Topic))
				}
				return noGroupOrTopic(group, m.Topic) // rolls back the messages before it
			}
			out = g
		}
		_, err = s.bound(ctx, tx, s.stmt.wResetUnread).ExecContext(ctx, int64(app), group, int64(out.Counted), int64(out.NextSeq-1))
		if err != nil {
			return fmt.Errorf("reset unread of %s: %w", group, err)
		}
		return nil
	})
	if err != nil {
		return core.Group{}, err
	}
	return out, nil
}

// seqArg is a seq as the schema's signed 64-bit integer, clamped.
func seqArg(seq uint64) int64 {
	return int64(min(seq, math.MaxInt64))
}

// GroupMessages reads a page by primary key, in the order asked for.
func (s *Store) GroupMessages(ctx context.Context, q core.GroupMsgQuery) ([]core.GroupMessage, error) {
	if q.Limit <= 0 || q.MinSeq > q.MaxSeq {
		return nil, nil
	}
	st := s.stmt.rGroupMsgsAsc
	if q.Desc {
		st = s.stmt.rGroupMsgsDesc
	}
	rows, err := st.QueryContext(ctx, int64(q.App), q.Group, q.Topic, seqArg(q.MinSeq), seqArg(q.MaxSeq), q.Limit)
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []core.GroupMessage
	for rows.Next() {
		m, err := scanGroupMsg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// scanGroupMsg reads one row of groupMsgColumns.
func scanGroupMsg(sc scanner) (core.GroupMessage, error) {
	var m core.GroupMessage
	var app, seq, random, priority, flags int64
	var body, push, to, at []byte
	err := sc.Scan(&app, &m.Group, &m.Topic, &seq, &m.ID, &m.From, &random, &m.Time, &priority, &body,
		&m.CloudCustomData, &push, &flags, &to, &at)
	if err != nil {
		return core.GroupMessage{}, err
	}
	m.App, m.Seq, m.Random, m.Priority, m.Flags = core.AppID(app), uint64(seq), uint32(random), core.Priority(priority), core.GroupMsgFlags(flags)
	m.Body, m.OfflinePush = body, push
	if m.To, err = decodeStrings(to); err != nil {
		return core.GroupMessage{}, fmt.Errorf("receivers of %s/%d: %w", m.Group, m.Seq, err)
	}
	if m.AtUsers, err = decodeStrings(at); err != nil {
		return core.GroupMessage{}, fmt.Errorf("@-mentions of %s/%d: %w", m.Group, m.Seq, err)
	}
	return m, nil
}

// UpdateGroupMessage reads the message, lets fn change a copy (and its
// extensions) and stores Flags, Body, CloudCustomData, the extensions fn
// changed and fn's events (MsgID defaulting to the message's). Only
// messages with GFlagSupportExtension keep extensions: for the others fn
// gets empty ones and its changes to them are dropped. Counters (Counted,
// unread) do not follow a change of CountsUnread.
func (s *Store) UpdateGroupMessage(ctx context.Context, app core.AppID, group, topic string, seq uint64,
	fn func(m *core.GroupMessage, ext *core.Extensions) ([]core.InboxEvent, error)) (core.GroupMessage, error) {
	var out core.GroupMessage
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored, err := scanGroupMsg(s.bound(ctx, tx, s.stmt.wGroupMsg).QueryRowContext(ctx, int64(app), group, topic, seqArg(seq)))
		if errors.Is(err, sql.ErrNoRows) {
			return Unchanged(core.Errorf(core.NotFound, "", "no message %d in %s", seq, groupOrTopic(group, topic)))
		}
		if err != nil {
			return fmt.Errorf("group message %s/%d: %w", group, seq, err)
		}
		withExt := stored.Flags.Has(core.GFlagSupportExtension)
		old := core.Extensions{Items: map[string]core.Extension{}}
		if withExt {
			old, err = loadExtensions(ctx, s.bound(ctx, tx, s.stmt.wGroupExtMeta), s.bound(ctx, tx, s.stmt.wGroupExtItems), app, stored.ID)
			if err != nil {
				return err
			}
		}
		ext := old
		ext.Items = maps.Clone(old.Items)
		m := stored
		m.Body = slices.Clone(stored.Body) // fn may edit it in place
		events, err := fn(&m, &ext)
		if err != nil {
			return Unchanged(err)
		}
		if withExt {
			w := extWriters{s.stmt.wPutGroupExtMeta, s.stmt.wPutGroupExtItem, s.stmt.wDeleteGroupExtItem}
			if err := s.saveExtensionsWith(ctx, tx, w, app, stored.ID, old, ext); err != nil {
				return err
			}
		}
		next := stored
		next.Flags, next.Body, next.CloudCustomData = m.Flags, bodyArg(m.Body), m.CloudCustomData
		if next.Flags != stored.Flags || !bytes.Equal(next.Body, stored.Body) || next.CloudCustomData != stored.CloudCustomData {
			_, err := s.bound(ctx, tx, s.stmt.wSaveGroupMsg).ExecContext(ctx, int64(app), group, topic, int64(next.Seq),
				int64(next.Flags), next.Body, next.CloudCustomData)
			if err != nil {
				return fmt.Errorf("update group message %s/%d: %w", group, seq, err)
			}
		}
		out = next
		return s.addInbox(ctx, tx, app, withMsgID(events, next.ID), nil)
	})
	if err != nil {
		return core.GroupMessage{}, err
	}
	return out, nil
}

func groupOrTopic(group, topic string) string {
	if topic != "" {
		return "topic " + topic + " of " + group
	}
	return "group " + group
}

// GroupMessageExtensions reads a group message's extensions; one without
// any (or no message) has LatestSeq 0 and an empty, non-nil Items.
func (s *Store) GroupMessageExtensions(ctx context.Context, app core.AppID, msgID int64) (core.Extensions, error) {
	ext, err := loadExtensions(ctx, s.stmt.rGroupExtMeta, s.stmt.rGroupExtItems, app, msgID)
	return ext, s.readErr(err)
}
