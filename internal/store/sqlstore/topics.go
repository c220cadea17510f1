package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/parleyim/parley/internal/core"
)

// Community topics. A topic's messages live in group_messages under the
// topic's ID, numbered by the topic row's next_seq.

type topicStmts struct {
	wInsertTopic, wDeleteTopic, wDropTopicExtMeta, wDropTopicExtItems, wDropTopicMsgs, rTopics *sql.Stmt
}

const topicColumns = `app, grp, id, name, introduction, notification, face_url, custom_string, create_time,
	next_seq, last_seq, last_time, mute_all`

// topicMsgsWithExt selects the IDs of a topic's messages that may have
// extensions: $1 app, $2 group, $3 topic.
var topicMsgsWithExt = `SELECT id FROM group_messages WHERE app = $1 AND grp = $2 AND topic = $3
	AND (flags & ` + extFlag + `) <> 0`

func (st *topicStmts) defs() []stmtDef {
	return []stmtDef{
		{&st.wInsertTopic, true, `INSERT INTO group_topics (` + topicColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (app, grp, id) DO NOTHING`},
		{&st.wDeleteTopic, true, `DELETE FROM group_topics WHERE app = $1 AND grp = $2 AND id = $3`},
		{&st.wDropTopicExtMeta, true, `DELETE FROM group_ext WHERE app = $1 AND msg_id IN (` + topicMsgsWithExt + `)`},
		{&st.wDropTopicExtItems, true, `DELETE FROM group_ext_items WHERE app = $1 AND msg_id IN (` + topicMsgsWithExt + `)`},
		{&st.wDropTopicMsgs, true, `DELETE FROM group_messages WHERE app = $1 AND grp = $2 AND topic = $3`},
		{&st.rTopics, false, `SELECT ` + topicColumns + ` FROM group_topics WHERE app = $1 AND grp = $2 ORDER BY id`},
	}
}

// CreateTopic stores t with NextSeq 1 and no last message (setting those
// in t). No live group is an Unchanged NotFound, a group that is not a
// Community an Unchanged Invalid, a topic ID the group has an Unchanged
// Duplicate.
func (s *Store) CreateTopic(ctx context.Context, t *core.Topic) error {
	stored := *t
	stored.NextSeq, stored.LastSeq, stored.LastTime = 1, 0, 0
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		g, err := s.groupIn(ctx, tx, t.App, t.Group)
		if err != nil {
			return err
		}
		if g.Type != core.GroupCommunity {
			return Unchanged(core.Errorf(core.Invalid, "", "group %s is a %s, not a Community", g.ID, g.Type))
		}
		res, err := s.bound(ctx, tx, s.stmt.wInsertTopic).ExecContext(ctx, int64(t.App), t.Group, t.ID, t.Name,
			t.Introduction, t.Notification, t.FaceURL, t.CustomString, t.CreateTime,
			int64(stored.NextSeq), int64(stored.LastSeq), stored.LastTime, bit(t.MuteAll))
		if err != nil {
			return fmt.Errorf("create topic %s: %w", t.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return Unchanged(core.Errorf(core.Duplicate, "", "topic %s exists in %s", t.ID, t.Group))
		}
		return nil
	})
	if err != nil {
		return err
	}
	*t = stored
	return nil
}

// DestroyTopic deletes the topic row (none: Unchanged NotFound) and its
// messages with their extensions.
func (s *Store) DestroyTopic(ctx context.Context, app core.AppID, group, topic string) error {
	return s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.bound(ctx, tx, s.stmt.wDeleteTopic).ExecContext(ctx, int64(app), group, topic)
		if err != nil {
			return fmt.Errorf("destroy topic %s: %w", topic, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return Unchanged(core.Errorf(core.NotFound, "", "no topic %s in %s", topic, group))
		}
		for _, st := range []*sql.Stmt{s.stmt.wDropTopicExtMeta, s.stmt.wDropTopicExtItems, s.stmt.wDropTopicMsgs} {
			if _, err := s.bound(ctx, tx, st).ExecContext(ctx, int64(app), group, topic); err != nil {
				return fmt.Errorf("destroy topic %s: %w", topic, err)
			}
		}
		return nil
	})
}

// Topics returns the group's topics in ID order (none for no group).
func (s *Store) Topics(ctx context.Context, app core.AppID, group string) ([]core.Topic, error) {
	rows, err := s.stmt.rTopics.QueryContext(ctx, int64(app), group)
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []core.Topic
	for rows.Next() {
		var t core.Topic
		var a, next, last int64
		if err := rows.Scan(&a, &t.Group, &t.ID, &t.Name, &t.Introduction, &t.Notification, &t.FaceURL,
			&t.CustomString, &t.CreateTime, &next, &last, &t.LastTime, &t.MuteAll); err != nil {
			return nil, err
		}
		t.App, t.NextSeq, t.LastSeq = core.AppID(a), uint64(next), uint64(last)
		out = append(out, t)
	}
	return out, rows.Err()
}
