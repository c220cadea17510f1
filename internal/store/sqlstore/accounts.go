package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/parleyim/parley/internal/core"
)

type accountStmts struct {
	wPutAccount, wDeleteAccount, wDeleteOwnedConvs, wKick *sql.Stmt
}

func (st *accountStmts) defs() []stmtDef {
	return []stmtDef{
		{&st.wPutAccount, true, `INSERT INTO accounts (app, id, nick, face_url, created) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (app, id) DO UPDATE SET deleted = 0,
				nick = CASE WHEN excluded.nick <> '' THEN excluded.nick ELSE accounts.nick END,
				face_url = CASE WHEN excluded.face_url <> '' THEN excluded.face_url ELSE accounts.face_url END`},
		{&st.wDeleteAccount, true, `UPDATE accounts SET deleted = 1 WHERE app = $1 AND id = $2 AND deleted = 0`},
		{&st.wDeleteOwnedConvs, true, `DELETE FROM conversations WHERE app = $1 AND owner = $2`},
		{&st.wKick, true, `UPDATE accounts SET kicked_at = $1 WHERE app = $2 AND id = $3 AND deleted = 0`},
	}
}

func (s *Store) PutAccounts(ctx context.Context, accts []core.Account) error {
	return s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		put := s.bound(ctx, tx, s.stmt.wPutAccount)
		for _, a := range accts {
			if _, err := put.ExecContext(ctx, int64(a.App), a.ID, a.Nick, a.FaceURL, a.Created); err != nil {
				return fmt.Errorf("put account %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

// DeleteAccounts tombstones the accounts and deletes the conversations they
// own (also those of ids that were not live). Others' conversations with
// them and the messages stay.
func (s *Store) DeleteAccounts(ctx context.Context, app core.AppID, ids []string) ([]bool, error) {
	var existed []bool
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		existed = make([]bool, len(ids))
		del := s.bound(ctx, tx, s.stmt.wDeleteAccount)
		delConvs := s.bound(ctx, tx, s.stmt.wDeleteOwnedConvs)
		for i, id := range ids {
			res, err := del.ExecContext(ctx, int64(app), id)
			if err != nil {
				return fmt.Errorf("delete account %s: %w", id, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			existed[i] = n > 0
			if _, err := delConvs.ExecContext(ctx, int64(app), id); err != nil {
				return fmt.Errorf("delete conversations of %s: %w", id, err)
			}
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

// SetKickedAt sets the live account's kicked_at and adds events in the same
// transaction; for an unknown or deleted account it changes nothing.
func (s *Store) SetKickedAt(ctx context.Context, app core.AppID, id string, t int64, events []core.InboxEvent) (bool, error) {
	var ok bool
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.bound(ctx, tx, s.stmt.wKick).ExecContext(ctx, t, int64(app), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if ok = n > 0; !ok {
			return nil
		}
		return s.addInbox(ctx, tx, app, events, nil)
	})
	return ok, err
}
