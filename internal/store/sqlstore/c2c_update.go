package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/parleyim/parley/internal/core"
)

// Changes to stored messages: UpdateC2C and extensions. Both read, call
// core's fn and write inside one committer transaction. fn may run twice (a
// batch that failed is retried write by write); everything it asks for is
// stored in the transaction, so only the last run counts. A refusal (no
// such message, or fn's error) is returned with Unchanged: it writes nothing
// and does not make the rest of the batch roll back.

type updateStmts struct {
	wFindDirected, wUpdateMessage            *sql.Stmt
	wExtMeta, wExtItems, rExtMeta, rExtItems *sql.Stmt
	wPutExtMeta, wPutExtItem, wDeleteExtItem *sql.Stmt
}

const (
	extMetaSelect  = `SELECT latest_seq, clear_seq FROM c2c_ext WHERE app = $1 AND msg_id = $2`
	extItemsSelect = `SELECT ext_key, ext_value, seq FROM c2c_ext_items WHERE app = $1 AND msg_id = $2`
)

func (st *updateStmts) defs() []stmtDef {
	return []stmtDef{
		{&st.wFindDirected, true, `SELECT ` + msgColumns + ` FROM c2c_messages
			WHERE app = $1 AND conv = $2 AND time = $3 AND seq = $4 AND random = $5 AND sender = $6 AND receiver = $7
			ORDER BY id LIMIT 1`},
		{&st.wUpdateMessage, true, `UPDATE c2c_messages SET flags = $1, body = $2, custom = $3, counts_unread = $4 WHERE id = $5`},
		{&st.wExtMeta, true, extMetaSelect},
		{&st.wExtItems, true, extItemsSelect},
		{&st.rExtMeta, false, extMetaSelect},
		{&st.rExtItems, false, extItemsSelect},
		{&st.wPutExtMeta, true, `INSERT INTO c2c_ext (app, msg_id, latest_seq, clear_seq) VALUES ($1, $2, $3, $4)
			ON CONFLICT (app, msg_id) DO UPDATE SET latest_seq = excluded.latest_seq, clear_seq = excluded.clear_seq`},
		{&st.wPutExtItem, true, `INSERT INTO c2c_ext_items (app, msg_id, ext_key, ext_value, seq) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (app, msg_id, ext_key) DO UPDATE SET ext_value = excluded.ext_value, seq = excluded.seq`},
		{&st.wDeleteExtItem, true, `DELETE FROM c2c_ext_items WHERE app = $1 AND msg_id = $2 AND ext_key = $3`},
	}
}

// UpdateC2C finds the message, calls fn with a copy and stores its Flags,
// Body and CloudCustomData, the receiver's unread change and fn's events,
// all in one transaction. No such message is a core NotFound; an error from
// fn is returned as is. Neither changes anything.
func (s *Store) UpdateC2C(ctx context.Context, app core.AppID, from, to string, key core.MsgKey,
	fn func(m *core.C2CMessage) ([]core.InboxEvent, error)) (core.C2CMessage, error) {
	return s.updateC2C(ctx, app, from, to, key, false, func(m *core.C2CMessage, _ *core.Extensions) ([]core.InboxEvent, error) {
		return fn(m)
	})
}

// UpdateC2CExtensions is UpdateC2C that also loads the message's
// extensions for fn and then writes only the rows fn changed.
func (s *Store) UpdateC2CExtensions(ctx context.Context, app core.AppID, from, to string, key core.MsgKey,
	fn func(m *core.C2CMessage, ext *core.Extensions) ([]core.InboxEvent, error)) (core.C2CMessage, error) {
	return s.updateC2C(ctx, app, from, to, key, true, fn)
}

// updateC2C is UpdateC2C; withExt loads the extensions for fn and saves
// what it changed in them (else fn gets zero Extensions, never saved).
func (s *Store) updateC2C(ctx context.Context, app core.AppID, from, to string, key core.MsgKey, withExt bool,
	fn func(m *core.C2CMessage, ext *core.Extensions) ([]core.InboxEvent, error)) (core.C2CMessage, error) {
	var out core.C2CMessage
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored, err := s.findDirected(ctx, tx, app, from, to, key)
		if err != nil {
			return err
		}
		var old, ext core.Extensions
		if withExt {
			old, err = loadExtensions(ctx, s.bound(ctx, tx, s.stmt.wExtMeta), s.bound(ctx, tx, s.stmt.wExtItems), app, stored.ID)
			if err != nil {
				return err
			}
			ext = old
			ext.Items = maps.Clone(old.Items)
		}
		m := stored
		m.Body = slices.Clone(stored.Body) // fn may edit it in place
		events, err := fn(&m, &ext)
		if err != nil {
			return Unchanged(err)
		}
		if withExt {
			if err := s.saveExtensions(ctx, tx, app, stored.ID, old, ext); err != nil {
				return err
			}
		}
		out, err = s.storeUpdate(ctx, tx, stored, m, events)
		return err
	})
	if err != nil {
		return core.C2CMessage{}, err
	}
	return out, nil
}

// findDirected reads the first message from→to with key in history order.
// None is an Unchanged core NotFound.
func (s *Store) findDirected(ctx context.Context, tx *sql.Tx, app core.AppID, from, to string, key core.MsgKey) (core.C2CMessage, error) {
	m, err := scanMessage(s.bound(ctx, tx, s.stmt.wFindDirected).QueryRowContext(ctx,
		int64(app), convKey(from, to), key.Time, int64(key.Seq), int64(key.Random), from, to))
	if errors.Is(err, sql.ErrNoRows) {
		return m, Unchanged(core.Errorf(core.NotFound, "", "no message %s from %s to %s", key, from, to))
	}
	if err != nil {
		return m, fmt.Errorf("find c2c: %w", err)
	}
	return m, nil
}

// storeUpdate writes what UpdateC2C stores of edited over stored, moves the
// receiver's unread count when CountsUnread changed, adds events (MsgID
// defaulting to the message's) and returns the message as stored.
func (s *Store) storeUpdate(ctx context.Context, tx *sql.Tx, stored, edited core.C2CMessage, events []core.InboxEvent) (core.C2CMessage, error) {
	next := stored
	next.Flags, next.Body, next.CloudCustomData = edited.Flags, edited.Body, edited.CloudCustomData
	if next.Body == nil {
		next.Body = []byte{}
	}
	if next.Flags != stored.Flags || !bytes.Equal(next.Body, stored.Body) || next.CloudCustomData != stored.CloudCustomData {
		_, err := s.bound(ctx, tx, s.stmt.wUpdateMessage).ExecContext(ctx,
			int64(next.Flags), []byte(next.Body), next.CloudCustomData, bit(next.CountsUnread()), next.ID)
		if err != nil {
			return core.C2CMessage{}, fmt.Errorf("update c2c %d: %w", next.ID, err)
		}
	}
	if was, is := stored.CountsUnread(), next.CountsUnread(); was != is {
		if err := s.adjustUnread(ctx, tx, &next, is); err != nil {
			return core.C2CMessage{}, err
		}
	}
	var convs []core.Conversation
	if s.feed != nil && len(events) > 0 {
		var err error
		if convs, err = s.convsOf(ctx, tx, &next, events); err != nil {
			return core.C2CMessage{}, err
		}
	}
	if err := s.addInbox(ctx, tx, next.App, events, &next, convs...); err != nil {
		return core.C2CMessage{}, err
	}
	return next, nil
}

// C2CExtensions reads a message's extensions; a message without any (or no
// message) has LatestSeq 0 and an empty, non-nil Items.
func (s *Store) C2CExtensions(ctx context.Context, app core.AppID, msgID int64) (core.Extensions, error) {
	ext, err := loadExtensions(ctx, s.stmt.rExtMeta, s.stmt.rExtItems, app, msgID)
	return ext, s.readErr(err)
}

// loadExtensions reads a message's extensions with the given statements.
func loadExtensions(ctx context.Context, meta, items *sql.Stmt, app core.AppID, msgID int64) (core.Extensions, error) {
	ext := core.Extensions{Items: map[string]core.Extension{}}
	var latest, cleared int64
	switch err := meta.QueryRowContext(ctx, int64(app), msgID).Scan(&latest, &cleared); {
	case err == nil:
		ext.LatestSeq, ext.ClearSeq = uint64(latest), uint64(cleared)
	case !errors.Is(err, sql.ErrNoRows):
		return core.Extensions{}, fmt.Errorf("extensions of %d: %w", msgID, err)
	}
	rows, err := items.QueryContext(ctx, int64(app), msgID)
	if err != nil {
		return core.Extensions{}, fmt.Errorf("extensions of %d: %w", msgID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e core.Extension
		var seq int64
		if err := rows.Scan(&e.Key, &e.Value, &seq); err != nil {
			return core.Extensions{}, err
		}
		e.Seq = uint64(seq)
		ext.Items[e.Key] = e
	}
	return ext, rows.Err()
}

// saveExtensions writes the differences between old (as stored) and ext
// of a C2C message.
func (s *Store) saveExtensions(ctx context.Context, tx *sql.Tx, app core.AppID, msgID int64, old, ext core.Extensions) error {
	return s.saveExtensionsWith(ctx, tx, extWriters{s.stmt.wPutExtMeta, s.stmt.wPutExtItem, s.stmt.wDeleteExtItem}, app, msgID, old, ext)
}

// extWriters are the statements that write one kind of message's
// extensions (C2C or group): an upsert of the sequence numbers ($1 app,
// $2 msg_id, $3 latest_seq, $4 clear_seq), an upsert of a pair ($3 key,
// $4 value, $5 seq) and a pair's deletion ($3 key).
type extWriters struct {
	putMeta, putItem, deleteItem *sql.Stmt
}

// saveExtensionsWith writes the differences between old (as stored) and
// ext with w.
func (s *Store) saveExtensionsWith(ctx context.Context, tx *sql.Tx, w extWriters, app core.AppID, msgID int64, old, ext core.Extensions) error {
	if ext.LatestSeq != old.LatestSeq || ext.ClearSeq != old.ClearSeq {
		_, err := s.bound(ctx, tx, w.putMeta).ExecContext(ctx, int64(app), msgID, int64(ext.LatestSeq), int64(ext.ClearSeq))
		if err != nil {
			return fmt.Errorf("save extensions of %d: %w", msgID, err)
		}
	}
	for k, e := range ext.Items {
		if cur, ok := old.Items[k]; ok && cur.Value == e.Value && cur.Seq == e.Seq {
			continue
		}
		_, err := s.bound(ctx, tx, w.putItem).ExecContext(ctx, int64(app), msgID, k, e.Value, int64(e.Seq))
		if err != nil {
			return fmt.Errorf("save extension %q of %d: %w", k, msgID, err)
		}
	}
	for k := range old.Items {
		if _, ok := ext.Items[k]; ok {
			continue
		}
		if _, err := s.bound(ctx, tx, w.deleteItem).ExecContext(ctx, int64(app), msgID, k); err != nil {
			return fmt.Errorf("delete extension %q of %d: %w", k, msgID, err)
		}
	}
	return nil
}
