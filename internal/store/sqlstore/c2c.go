package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/parleyim/parley/internal/core"
)

type c2cStmts struct {
	wDedupSend, wDedupImport, wInsertMessage, wInsertMessageExec *sql.Stmt
	rHistory, rHistoryBefore, rFind, rByID                       *sql.Stmt
}

const msgColumns = `id, app, sender, receiver, time, seq, random, body, custom, push, flags, origin, offline_until`

// visibleToSQL is core's C2CMessage.VisibleTo for the user $5, over flags.
var visibleToSQL = fmt.Sprintf(`((sender = $5 AND (flags & %d) = %d) OR (receiver = $5 AND (flags & %d) = %d))`,
	core.FlagSenderHistory|core.FlagDeletedBySender, core.FlagSenderHistory,
	core.FlagReceiverHistory|core.FlagDeletedByReceiver, core.FlagReceiverHistory)

// historySelect reads one side's view of a conversation, newest first.
var historySelect = `SELECT ` + msgColumns + ` FROM c2c_messages
	WHERE app = $1 AND conv = $2 AND time >= $3 AND time <= $4 AND ` + visibleToSQL + ` AND id > $6`

const historyOrder = ` ORDER BY time DESC, seq DESC, id DESC LIMIT $7`

func (st *c2cStmts) defs() []stmtDef {
	return []stmtDef{
		{&st.wDedupSend, true, `SELECT id FROM c2c_messages
			WHERE app = $1 AND conv = $2 AND time = $3 AND seq = $4 AND random = $5 AND sender = $6 ORDER BY id LIMIT 1`},
		{&st.wDedupImport, true, `SELECT id FROM c2c_messages
			WHERE app = $1 AND conv = $2 AND time = $3 AND seq = $4 AND random = $5 ORDER BY id LIMIT 1`},
		{&st.wInsertMessage, true, `INSERT INTO c2c_messages (app, conv, sender, receiver, time, seq, random,
			body, custom, push, flags, origin, offline_until, counts_unread)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`},
		// The same without RETURNING, for engines with LastInsertId (on
		// SQLite RETURNING costs as much as the insert itself).
		{&st.wInsertMessageExec, true, `INSERT INTO c2c_messages (app, conv, sender, receiver, time, seq, random,
			body, custom, push, flags, origin, offline_until, counts_unread)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`},
		{&st.rHistory, false, historySelect + historyOrder},
		{&st.rHistoryBefore, false, historySelect + ` AND (time, seq, id) < ($8, $9, $10)` + historyOrder},
		{&st.rFind, false, `SELECT ` + msgColumns + ` FROM c2c_messages
			WHERE app = $1 AND conv = $2 AND time = $3 AND seq = $4 AND random = $5 ORDER BY id`},
		{&st.rByID, false, `SELECT ` + msgColumns + ` FROM c2c_messages WHERE id = $1 AND app = $2`},
	}
}

// AppendC2C stores msgs in one transaction; with each new message it
// applies its conversation updates and adds its inbox entries.
func (s *Store) AppendC2C(ctx context.Context, msgs []*core.C2CMessage) ([]bool, error) {
	var dup []bool
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		dup = make([]bool, len(msgs))
		for i, m := range msgs {
			var err error
			if dup[i], err = s.appendC2C(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	return dup, err
}

// appendC2C stores m with its effects unless its de-dup rule finds it
// already stored; then it only sets m.ID to the stored message's.
func (s *Store) appendC2C(ctx context.Context, tx *sql.Tx, m *core.C2CMessage) (dup bool, err error) {
	conv := convKey(m.From, m.To)
	key := recentKey{app: m.App, conv: conv, from: m.From, time: m.Time, seq: m.Seq, random: m.Random}
	if id, known, covered := s.recent.lookup(key, m.Origin, s.now().Unix()); known {
		m.ID = id
		return true, nil
	} else if !covered {
		var row *sql.Row
		if m.Origin == core.OriginImport {
			row = s.bound(ctx, tx, s.stmt.wDedupImport).QueryRowContext(ctx, int64(m.App), conv, m.Time, int64(m.Seq), int64(m.Random))
		} else {
			row = s.bound(ctx, tx, s.stmt.wDedupSend).QueryRowContext(ctx, int64(m.App), conv, m.Time, int64(m.Seq), int64(m.Random), m.From)
		}
		var id int64
		switch err := row.Scan(&id); {
		case err == nil:
			m.ID = id
			return true, nil
		case !errors.Is(err, sql.ErrNoRows):
			return false, fmt.Errorf("dedup c2c: %w", err)
		}
	}
	if m.ID, err = s.insertMessage(ctx, tx, m, conv); err != nil {
		return false, fmt.Errorf("insert c2c: %w", err)
	}
	s.recent.add(key, m.ID, s.now().Unix())
	events := m.InboxEvents()
	convs, err := s.applyConvUpdates(ctx, tx, m, m.ConvUpdates(), s.feedWants(m.App, events))
	if err != nil {
		return false, err
	}
	return false, s.addInbox(ctx, tx, m.App, events, m, convs...)
}

// insertMessage inserts m's row and returns its ID.
func (s *Store) insertMessage(ctx context.Context, tx *sql.Tx, m *core.C2CMessage, conv string) (int64, error) {
	args := []any{int64(m.App), conv, m.From, m.To, m.Time, int64(m.Seq), int64(m.Random), []byte(m.Body), m.CloudCustomData,
		nullBytes(m.OfflinePush), int64(m.Flags), int64(m.Origin), m.OfflineUntil, bit(m.CountsUnread())}
	if !s.engine.LastInsertID {
		var id int64
		err := s.bound(ctx, tx, s.stmt.wInsertMessage).QueryRowContext(ctx, args...).Scan(&id)
		return id, err
	}
	res, err := s.bound(ctx, tx, s.stmt.wInsertMessageExec).ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (s *Store) C2CHistory(ctx context.Context, q core.C2CQuery) ([]core.C2CMessage, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	if b := q.Before; b != nil {
		// The index walk starts at the cursor, not at q.MaxTime.
		args := []any{int64(q.App), convKey(q.Owner, q.Peer), q.MinTime, min(q.MaxTime, b.Time), q.Owner, q.AfterID, q.Limit,
			b.Time, int64(b.Seq), b.ID}
		return s.queryMessages(ctx, s.stmt.rHistoryBefore, args...)
	}
	args := []any{int64(q.App), convKey(q.Owner, q.Peer), q.MinTime, q.MaxTime, q.Owner, q.AfterID, q.Limit}
	return s.queryMessages(ctx, s.stmt.rHistory, args...)
}

func (s *Store) FindC2C(ctx context.Context, app core.AppID, a, b string, key core.MsgKey) ([]core.C2CMessage, error) {
	return s.queryMessages(ctx, s.stmt.rFind, int64(app), convKey(a, b), key.Time, int64(key.Seq), int64(key.Random))
}

// C2CByID reads the messages one ID at a time, each by the primary key.
func (s *Store) C2CByID(ctx context.Context, app core.AppID, ids []int64) ([]core.C2CMessage, error) {
	var out []core.C2CMessage
	for _, id := range ids {
		m, err := scanMessage(s.stmt.rByID.QueryRowContext(ctx, id, int64(app)))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, s.readErr(err)
		default:
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *Store) queryMessages(ctx context.Context, stmt *sql.Stmt, args ...any) ([]core.C2CMessage, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []core.C2CMessage
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// scanMessage reads one row of msgColumns.
func scanMessage(sc scanner) (core.C2CMessage, error) {
	var m core.C2CMessage
	var app, seq, random, flags, origin int64
	var body, push []byte
	if err := sc.Scan(&m.ID, &app, &m.From, &m.To, &m.Time, &seq, &random, &body, &m.CloudCustomData,
		&push, &flags, &origin, &m.OfflineUntil); err != nil {
		return core.C2CMessage{}, err
	}
	m.App, m.Seq, m.Random = core.AppID(app), uint32(seq), uint32(random)
	m.Flags, m.Origin = core.MsgFlags(flags), core.Origin(origin)
	m.Body, m.OfflinePush = body, push
	return m, nil
}

// convsOf reads, inside tx, the conversation of each event's user with the
// other side of m: what the feed reports with the event.
func (s *Store) convsOf(ctx context.Context, tx *sql.Tx, m *core.C2CMessage, events []core.InboxEvent) ([]core.Conversation, error) {
	convs := make([]core.Conversation, 0, len(events))
	for _, e := range events {
		c, ok, err := s.convIn(ctx, tx, m.App, e.User, core.ConvC2C, m.Peer(e.User))
		if err != nil {
			return nil, err
		}
		if ok {
			convs = append(convs, c)
		}
	}
	return convs, nil
}
