package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/parleyim/parley/internal/core"
)

// Retention: PurgeC2C and PurgeInbox. Both walk the app's conversations
// (users) in key order and delete each one's expired prefix, a chunk per
// committer transaction. They use the tables' own keys, not an index on
// time, which every append would pay for: a run costs one index seek per
// conversation (user) plus the rows it deletes, and never holds the
// committer for more than Store.purgeLimits allow.

type purgeStmts struct {
	wNextConv, wPurgeConv, wDropExtMeta, wDropExtItems     *sql.Stmt
	wNextInboxUser, wInboxKeptFrom, wPurgeInbox, wKeepHead *sql.Stmt
}

// purgeLimits bound one purge transaction.
type purgeLimits struct {
	rows   int64 // rows it deletes at most
	visits int   // conversations or users it looks at at most
}

// The limits a Store starts with: a purge transaction takes milliseconds.
const (
	defaultPurgeRows   = 2000
	defaultPurgeVisits = 1000
)

func (st *purgeStmts) defs() []stmtDef {
	return []stmtDef{
		// The conversation after $2 and the time of its oldest message.
		{&st.wNextConv, true, `SELECT conv, time FROM c2c_messages WHERE app = $1 AND conv > $2
			ORDER BY conv, time LIMIT 1`},
		// Up to $4 of the conversation's messages before $3, oldest first.
		{&st.wPurgeConv, true, `DELETE FROM c2c_messages WHERE id IN (SELECT id FROM c2c_messages
			WHERE app = $1 AND conv = $2 AND time < $3 ORDER BY time LIMIT $4)
			RETURNING id, sender, receiver, time, flags, counts_unread`},
		{&st.wDropExtMeta, true, `DELETE FROM c2c_ext WHERE app = $1 AND msg_id = $2`},
		{&st.wDropExtItems, true, `DELETE FROM c2c_ext_items WHERE app = $1 AND msg_id = $2`},
		// The user after $2 with entries, and its oldest entry.
		{&st.wNextInboxUser, true, `SELECT owner, seq, time FROM inbox WHERE app = $1 AND owner > $2
			ORDER BY owner, seq LIMIT 1`},
		// The user's first entry up to number $3 stored at or after $4.
		{&st.wInboxKeptFrom, true, `SELECT seq FROM inbox WHERE app = $1 AND owner = $2 AND seq <= $3 AND time >= $4
			ORDER BY seq LIMIT 1`},
		{&st.wPurgeInbox, true, `DELETE FROM inbox WHERE app = $1 AND owner = $2 AND seq <= $3`},
		{&st.wKeepHead, true, `INSERT INTO inbox_heads (app, owner, head) VALUES ($1, $2, $3)
			ON CONFLICT (app, owner) DO UPDATE SET head = CASE WHEN excluded.head > inbox_heads.head
				THEN excluded.head ELSE inbox_heads.head END`},
	}
}

// purgeStep purges a chunk of the walk after the conversation (user) after
// and reports how many rows it deleted, where the walk goes on and whether
// it is done. It must not change anything outside tx: it may run twice.
type purgeStep func(ctx context.Context, tx *sql.Tx, after string) (n int64, next string, done bool, err error)

// purge runs step until the walk is done, one committer transaction each.
// On error the chunks already committed stay purged and are counted.
func (s *Store) purge(ctx context.Context, step purgeStep) (int64, error) {
	var total int64
	after := ""
	for {
		var n int64
		var next string
		var done bool
		err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			var err error
			n, next, done, err = step(ctx, tx, after)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if done {
			return total, nil
		}
		after = next
	}
}

// PurgeC2C deletes, in each of app's conversations, the messages before
// before; purged messages that counted as unread leave their receivers'
// counts, and their extensions go with them.
func (s *Store) PurgeC2C(ctx context.Context, app core.AppID, before int64) (int64, error) {
	return s.purge(ctx, func(ctx context.Context, tx *sql.Tx, after string) (n int64, next string, done bool, err error) {
		next = after
		for range s.purgeLimits.visits {
			var conv string
			var oldest int64
			err := s.bound(ctx, tx, s.stmt.wNextConv).QueryRowContext(ctx, int64(app), next).Scan(&conv, &oldest)
			if errors.Is(err, sql.ErrNoRows) {
				return n, next, true, nil
			}
			if err != nil {
				return 0, "", false, fmt.Errorf("purge c2c: %w", err)
			}
			if oldest < before {
				k, err := s.purgeConv(ctx, tx, app, conv, before, s.purgeLimits.rows-n)
				if err != nil {
					return 0, "", false, err
				}
				if n += k; n == s.purgeLimits.rows {
					return n, next, false, nil // the conversation may hold more
				}
			}
			next = conv
		}
		return n, next, false, nil
	})
}

// purged is a deleted message as purgeConv sees it.
type purged struct {
	id, time int64
}

// purgeConv deletes up to limit of conv's messages before before, oldest
// first, with their effects on unread counts and their extensions.
func (s *Store) purgeConv(ctx context.Context, tx *sql.Tx, app core.AppID, conv string, before, limit int64) (int64, error) {
	rows, err := s.bound(ctx, tx, s.stmt.wPurgeConv).QueryContext(ctx, int64(app), conv, before, limit)
	if err != nil {
		return 0, fmt.Errorf("purge c2c: %w", err)
	}
	var n int64
	unread := map[[2]string][]purged{} // receiver, sender → its purged unread messages
	var withExt []int64
	for rows.Next() {
		var p purged
		var from, to string
		var flags int64
		var countsUnread bool
		if err := rows.Scan(&p.id, &from, &to, &p.time, &flags, &countsUnread); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		if countsUnread {
			unread[[2]string{to, from}] = append(unread[[2]string{to, from}], p)
		}
		if core.MsgFlags(flags).Has(core.FlagSupportExtension) {
			withExt = append(withExt, p.id)
		}
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("purge c2c: %w", err)
	}
	for k, msgs := range unread {
		if err := s.dropUnread(ctx, tx, app, k[0], k[1], msgs); err != nil {
			return 0, err
		}
	}
	for _, id := range withExt {
		for _, st := range []*sql.Stmt{s.stmt.wDropExtMeta, s.stmt.wDropExtItems} {
			if _, err := s.bound(ctx, tx, st).ExecContext(ctx, int64(app), id); err != nil {
				return 0, fmt.Errorf("purge extensions of %d: %w", id, err)
			}
		}
	}
	return n, nil
}

// PurgeInbox deletes, in each of app's users' inboxes, the entries stored
// before before up to the first one that is not (entries are stored in
// number order, so that is all of them unless the clock went back), first
// raising the user's inbox_heads row to the last number it deletes.
func (s *Store) PurgeInbox(ctx context.Context, app core.AppID, before int64) (int64, error) {
	return s.purge(ctx, func(ctx context.Context, tx *sql.Tx, after string) (n int64, next string, done bool, err error) {
		next = after
		for range s.purgeLimits.visits {
			var user string
			var first, oldest int64
			err := s.bound(ctx, tx, s.stmt.wNextInboxUser).QueryRowContext(ctx, int64(app), next).Scan(&user, &first, &oldest)
			if errors.Is(err, sql.ErrNoRows) {
				return n, next, true, nil
			}
			if err != nil {
				return 0, "", false, fmt.Errorf("purge inbox: %w", err)
			}
			if oldest < before {
				k, err := s.purgeInboxPrefix(ctx, tx, app, user, first, before, s.purgeLimits.rows-n)
				if err != nil {
					return 0, "", false, err
				}
				if n += k; n == s.purgeLimits.rows {
					return n, next, false, nil // the user may have more
				}
			}
			next = user
		}
		return n, next, false, nil
	})
}

// purgeInboxPrefix deletes up to limit of user's entries from number first
// (its oldest) on, stopping at the first one stored at or after before.
// Entries are numbered without gaps, so the prefix is a range of numbers.
func (s *Store) purgeInboxPrefix(ctx context.Context, tx *sql.Tx, app core.AppID, user string, first, before, limit int64) (int64, error) {
	upTo := first + limit - 1
	var kept int64
	switch err := s.bound(ctx, tx, s.stmt.wInboxKeptFrom).QueryRowContext(ctx, int64(app), user, upTo, before).Scan(&kept); {
	case err == nil:
		upTo = kept - 1
	case !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("purge inbox of %s: %w", user, err)
	}
	res, err := s.bound(ctx, tx, s.stmt.wPurgeInbox).ExecContext(ctx, int64(app), user, upTo)
	if err != nil {
		return 0, fmt.Errorf("purge inbox of %s: %w", user, err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return 0, err
	}
	if _, err := s.bound(ctx, tx, s.stmt.wKeepHead).ExecContext(ctx, int64(app), user, first+n-1); err != nil {
		return 0, fmt.Errorf("keep inbox head of %s: %w", user, err)
	}
	return n, nil
}
