// Package sqlstore is the core.Store both SQL engines share: the statements
// (written once, in SQL that SQLite and PostgreSQL both accept), the row
// mapping and the group committer. Packages sqlite and postgres supply only
// what differs: opening connections and the schema's DDL.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/parleyim/parley/internal/core"
)

var _ core.Store = (*Store)(nil)

// Engine is what an SQL engine supplies.
type Engine struct {
	// Name is for errors and logs.
	Name string
	// Schema creates every table and index if missing; statements run in order.
	Schema []string
	// OnClose runs after the committer stopped and before the pools close.
	OnClose func() error
}

// Store is a core.Store on an SQL database. Writes go through one group
// committer; reads use a pool of their own. Every statement on a hot path is
// prepared once: parsing SQL costs more than running it.
type Store struct {
	engine  Engine
	writeDB *sql.DB
	readDB  *sql.DB
	commit  *Committer
	stmt    statements
}

// statements are the prepared statements; w* run in the committer's
// transactions, r* on the read pool.
type statements struct {
	wPutAccount, wDeleteAccount, wKick       *sql.Stmt
	wDedupSend, wDedupImport, wInsertMessage *sql.Stmt
	rHistory, rHistoryBefore, rFind          *sql.Stmt
}

const msgColumns = `id, app, sender, receiver, time, seq, random, body, custom, push, flags, origin, offline_until`

// historySelect reads one side's view of a conversation, newest first.
const historySelect = `SELECT ` + msgColumns + ` FROM c2c_messages
	WHERE app = $1 AND conv = $2 AND time >= $3 AND time <= $4
	AND ((sender = $5 AND flags & 1 <> 0) OR (receiver = $5 AND flags & 2 <> 0))`

const historyOrder = ` ORDER BY time DESC, seq DESC, id DESC LIMIT $6`

var statementSQL = []struct {
	dst   func(*statements) **sql.Stmt
	write bool
	sql   string
}{
	{func(s *statements) **sql.Stmt { return &s.wPutAccount }, true,
		`INSERT INTO accounts (app, id, nick, face_url, created) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (app, id) DO UPDATE SET deleted = 0,
			nick = CASE WHEN excluded.nick <> '' THEN excluded.nick ELSE accounts.nick END,
			face_url = CASE WHEN excluded.face_url <> '' THEN excluded.face_url ELSE accounts.face_url END`},
	{func(s *statements) **sql.Stmt { return &s.wDeleteAccount }, true,
		`UPDATE accounts SET deleted = 1 WHERE app = $1 AND id = $2 AND deleted = 0`},
	{func(s *statements) **sql.Stmt { return &s.wKick }, true,
		`UPDATE accounts SET kicked_at = $1 WHERE app = $2 AND id = $3 AND deleted = 0`},
	{func(s *statements) **sql.Stmt { return &s.wDedupSend }, true,
		`SELECT id FROM c2c_messages WHERE app = $1 AND conv = $2 AND time = $3 AND seq = $4 AND random = $5 AND sender = $6 ORDER BY id LIMIT 1`},
	{func(s *statements) **sql.Stmt { return &s.wDedupImport }, true,
		`SELECT id FROM c2c_messages WHERE app = $1 AND conv = $2 AND time = $3 AND seq = $4 AND random = $5 ORDER BY id LIMIT 1`},
	{func(s *statements) **sql.Stmt { return &s.wInsertMessage }, true,
		`INSERT INTO c2c_messages (app, conv, sender, receiver, time, seq, random, body, custom, push, flags, origin, offline_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`},
	{func(s *statements) **sql.Stmt { return &s.rHistory }, false, historySelect + historyOrder},
	{func(s *statements) **sql.Stmt { return &s.rHistoryBefore }, false, historySelect +
		` AND (time < $7 OR (time = $7 AND (seq < $8 OR (seq = $8 AND id < $9))))` + historyOrder},
	{func(s *statements) **sql.Stmt { return &s.rFind }, false, `SELECT ` + msgColumns + ` FROM c2c_messages
		WHERE app = $1 AND conv = $2 AND time = $3 AND seq = $4 AND random = $5 ORDER BY id`},
}

func (s *Store) prepare(ctx context.Context) error {
	for _, st := range statementSQL {
		db := s.readDB
		if st.write {
			db = s.writeDB
		}
		p, err := db.PrepareContext(ctx, st.sql)
		if err != nil {
			return fmt.Errorf("%s prepare: %w (in %.60q)", s.engine.Name, err, st.sql)
		}
		*st.dst(&s.stmt) = p
	}
	return nil
}

// Open applies the engine's schema through writeDB and returns a Store that
// writes through writeDB (which should hold one connection) and reads
// through readDB (which may be writeDB).
func Open(ctx context.Context, e Engine, writeDB, readDB *sql.DB, maxBatch int) (*Store, error) {
	for _, stmt := range e.Schema {
		if _, err := writeDB.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("%s schema: %w (in %.60q)", e.Name, err, stmt)
		}
	}
	s := &Store{engine: e, writeDB: writeDB, readDB: readDB}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	s.commit = NewCommitter(writeDB, maxBatch)
	return s, nil
}

// Close commits queued writes and closes both pools.
func (s *Store) Close() error {
	s.commit.Close()
	var errs []error
	if s.engine.OnClose != nil {
		errs = append(errs, s.engine.OnClose())
	}
	errs = append(errs, s.writeDB.Close())
	if s.readDB != s.writeDB {
		errs = append(errs, s.readDB.Close())
	}
	return errors.Join(errs...)
}

// ReadDB returns the pool reads use (for engine maintenance such as checkpoints).
func (s *Store) ReadDB() *sql.DB { return s.readDB }

// convKey names a conversation by its two sides in byte order, joined by a
// NUL byte (which no UserID contains).
func convKey(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + "\x00" + b
}

func (s *Store) PutAccounts(ctx context.Context, accts []core.Account) error {
	return s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, a := range accts {
			_, err := tx.StmtContext(ctx, s.stmt.wPutAccount).ExecContext(ctx, int64(a.App), a.ID, a.Nick, a.FaceURL, a.Created)
			if err != nil {
				return fmt.Errorf("put account %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

func (s *Store) DeleteAccounts(ctx context.Context, app core.AppID, ids []string) ([]bool, error) {
	var existed []bool
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		existed = make([]bool, len(ids))
		for i, id := range ids {
			res, err := tx.StmtContext(ctx, s.stmt.wDeleteAccount).ExecContext(ctx, int64(app), id)
			if err != nil {
				return fmt.Errorf("delete account %s: %w", id, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			existed[i] = n > 0
		}
		return nil
	})
	return existed, err
}

func (s *Store) ScanAccounts(ctx context.Context, fn func(core.Account) error) error {
	rows, err := s.readDB.QueryContext(ctx, `SELECT app, id, nick, face_url, created, kicked_at FROM accounts WHERE deleted = 0`)
	if err != nil {
		return s.readErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a core.Account
		var app int64
		if err := rows.Scan(&app, &a.ID, &a.Nick, &a.FaceURL, &a.Created, &a.KickedAt); err != nil {
			return err
		}
		a.App = core.AppID(app)
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) SetKickedAt(ctx context.Context, app core.AppID, id string, t int64) (bool, error) {
	var ok bool
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.stmt.wKick).ExecContext(ctx, t, int64(app), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n > 0
		return err
	})
	return ok, err
}

func (s *Store) AppendC2C(ctx context.Context, msgs []*core.C2CMessage) ([]bool, error) {
	var dup []bool
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		dup = make([]bool, len(msgs))
		for i, m := range msgs {
			var err error
			dup[i], err = s.appendC2C(ctx, tx, m)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return dup, err
}

// appendC2C stores m unless its de-dup rule finds it already stored.
func (s *Store) appendC2C(ctx context.Context, tx *sql.Tx, m *core.C2CMessage) (dup bool, err error) {
	conv := convKey(m.From, m.To)
	var row *sql.Row
	if m.Origin == core.OriginImport {
		row = tx.StmtContext(ctx, s.stmt.wDedupImport).QueryRowContext(ctx, int64(m.App), conv, m.Time, int64(m.Seq), int64(m.Random))
	} else {
		row = tx.StmtContext(ctx, s.stmt.wDedupSend).QueryRowContext(ctx, int64(m.App), conv, m.Time, int64(m.Seq), int64(m.Random), m.From)
	}
	var id int64
	switch err := row.Scan(&id); {
	case err == nil:
		m.ID = id
		return true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("dedup c2c: %w", err)
	}
	err = tx.StmtContext(ctx, s.stmt.wInsertMessage).QueryRowContext(ctx,
		int64(m.App), conv, m.From, m.To, m.Time, int64(m.Seq), int64(m.Random), []byte(m.Body), m.CloudCustomData,
		nullBytes(m.OfflinePush), int64(m.Flags), int64(m.Origin), m.OfflineUntil).Scan(&m.ID)
	if err != nil {
		return false, fmt.Errorf("insert c2c: %w", err)
	}
	return false, nil
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func (s *Store) C2CHistory(ctx context.Context, q core.C2CQuery) ([]core.C2CMessage, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	args := []any{int64(q.App), convKey(q.Owner, q.Peer), q.MinTime, q.MaxTime, q.Owner, q.Limit}
	if b := q.Before; b != nil {
		return s.queryMessages(ctx, s.stmt.rHistoryBefore, append(args, b.Time, int64(b.Seq), b.ID)...)
	}
	return s.queryMessages(ctx, s.stmt.rHistory, args...)
}

func (s *Store) FindC2C(ctx context.Context, app core.AppID, a, b string, key core.MsgKey) ([]core.C2CMessage, error) {
	return s.queryMessages(ctx, s.stmt.rFind, int64(app), convKey(a, b), key.Time, int64(key.Seq), int64(key.Random))
}

func (s *Store) queryMessages(ctx context.Context, stmt *sql.Stmt, args ...any) ([]core.C2CMessage, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []core.C2CMessage
	for rows.Next() {
		var m core.C2CMessage
		var app, seq, random, flags, origin int64
		var body, push []byte
		if err := rows.Scan(&m.ID, &app, &m.From, &m.To, &m.Time, &seq, &random, &body, &m.CloudCustomData,
			&push, &flags, &origin, &m.OfflineUntil); err != nil {
			return nil, err
		}
		m.App, m.Seq, m.Random = core.AppID(app), uint32(seq), uint32(random)
		m.Flags, m.Origin = core.MsgFlags(flags), core.Origin(origin)
		m.Body, m.OfflinePush = body, push
		out = append(out, m)
	}
	return out, rows.Err()
}

// purgeChunk bounds how many rows one purge transaction deletes, so that
// retention never holds the committer for long.
const purgeChunk = 2000

func (s *Store) PurgeC2C(ctx context.Context, app core.AppID, before int64) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM c2c_messages WHERE id IN
				(SELECT id FROM c2c_messages WHERE app = $1 AND time < $2 ORDER BY id LIMIT %d)`, purgeChunk),
				int64(app), before)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < purgeChunk {
			return total, nil
		}
	}
}

// readErr turns a read on a closed pool into core.ErrClosed.
func (s *Store) readErr(err error) error {
	if err != nil && strings.Contains(err.Error(), "database is closed") {
		return core.ErrClosed
	}
	return err
}
