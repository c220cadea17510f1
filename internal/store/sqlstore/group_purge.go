package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/parleyim/parley/internal/core"
)

// Retention of group messages. Like PurgeC2C and PurgeInbox it walks the
// app's groups and topics ("spaces") in key order, a chunk per committer
// transaction, and deletes each space's expired prefix by seq: there is no
// index on time (every append would pay for it), and seqs stay a contiguous
// range, so history by seq never has holes.

type groupPurgeStmts struct {
	wNextGroupSpace, wGroupKeptFrom, wPurgeGroupPrefix, wDropGroupExt, wDropGroupExtItem *sql.Stmt
	wPurgeGroupReceipts, wMinGroupMsgID, wMaxGroupMsgID, wTrimGroupMsgIDs                *sql.Stmt
}

func (st *groupPurgeStmts) defs() []stmtDef {
	return []stmtDef{
		// The space after ($2, $3) and its oldest message's seq and time.
		{&st.wNextGroupSpace, true, `SELECT grp, topic, seq, time FROM group_messages
			WHERE app = $1 AND (grp, topic) > ($2, $3) ORDER BY grp, topic, seq LIMIT 1`},
		// The space's first message from seq $4 to $5 stored at or after $6.
		{&st.wGroupKeptFrom, true, `SELECT seq FROM group_messages
			WHERE app = $1 AND grp = $2 AND topic = $3 AND seq >= $4 AND seq <= $5 AND time >= $6 ORDER BY seq LIMIT 1`},
		{&st.wPurgeGroupPrefix, true, `DELETE FROM group_messages WHERE app = $1 AND grp = $2 AND topic = $3 AND seq <= $4
			RETURNING id, flags`},
		{&st.wDropGroupExt, true, `DELETE FROM group_ext WHERE app = $1 AND msg_id = $2`},
		{&st.wDropGroupExtItem, true, `DELETE FROM group_ext_items WHERE app = $1 AND msg_id = $2`},
		{&st.wPurgeGroupReceipts, true, `DELETE FROM group_receipts WHERE app = $1 AND grp = $2 AND seq <= $3`},
		{&st.wMinGroupMsgID, true, `SELECT MIN(id) FROM group_msg_ids`},
		{&st.wMaxGroupMsgID, true, `SELECT MAX(id) FROM group_msg_ids`},
		{&st.wTrimGroupMsgIDs, true, `DELETE FROM group_msg_ids WHERE id < $1`},
	}
}

// PurgeGroupMessages deletes, in each group and topic of app, the oldest
// messages up to the first one stored at or after before (messages are
// stored in seq order, so that is all of them unless times went back, as
// an import's may), with their extensions and receipts. Counters (NextSeq,
// Counted, members' unread) stay. Then it drops the group_msg_ids rows no
// longer needed. On error the chunks already committed stay purged and
// are counted.
func (s *Store) PurgeGroupMessages(ctx context.Context, app core.AppID, before int64) (int64, error) {
	n, err := s.purge(ctx, func(ctx context.Context, tx *sql.Tx, after string) (n int64, next string, done bool, err error) {
		next = after
		grp, topic, _ := strings.Cut(after, "\x00")
		for range s.purgeLimits.visits {
			var g, t string
			var first, oldest int64
			err := s.bound(ctx, tx, s.stmt.wNextGroupSpace).QueryRowContext(ctx, int64(app), grp, topic).Scan(&g, &t, &first, &oldest)
			if errors.Is(err, sql.ErrNoRows) {
				return n, next, true, nil
			}
			if err != nil {
				return 0, "", false, fmt.Errorf("purge group messages: %w", err)
			}
			if oldest < before {
				k, err := s.purgeGroupPrefix(ctx, tx, app, g, t, first, before, s.purgeLimits.rows-n)
				if err != nil {
					return 0, "", false, err
				}
				if n += k; n == s.purgeLimits.rows {
					return n, next, false, nil // the space may hold more
				}
			}
			grp, topic = g, t
			next = g + "\x00" + t // group IDs hold no NUL
		}
		return n, next, false, nil
	})
	if err != nil {
		return n, err
	}
	return n, s.trimGroupMsgIDs(ctx)
}

// purgeGroupPrefix deletes up to limit messages of the space from seq
// first (its oldest) on, stopping at the first stored at or after before,
// with their extensions and receipts.
func (s *Store) purgeGroupPrefix(ctx context.Context, tx *sql.Tx, app core.AppID, grp, topic string, first, before, limit int64) (int64, error) {
	upTo := first + limit - 1
	var kept int64
	switch err := s.bound(ctx, tx, s.stmt.wGroupKeptFrom).QueryRowContext(ctx, int64(app), grp, topic, first, upTo, before).Scan(&kept); {
	case err == nil:
		upTo = kept - 1
	case !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("purge %s: %w", groupOrTopic(grp, topic), err)
	}
	rows, err := s.bound(ctx, tx, s.stmt.wPurgeGroupPrefix).QueryContext(ctx, int64(app), grp, topic, upTo)
	if err != nil {
		return 0, fmt.Errorf("purge %s: %w", groupOrTopic(grp, topic), err)
	}
	var n int64
	var withExt []int64
	for rows.Next() {
		var id, flags int64
		if err := rows.Scan(&id, &flags); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		if core.GroupMsgFlags(flags).Has(core.GFlagSupportExtension) {
			withExt = append(withExt, id)
		}
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("purge %s: %w", groupOrTopic(grp, topic), err)
	}
	for _, id := range withExt {
		for _, st := range []*sql.Stmt{s.stmt.wDropGroupExt, s.stmt.wDropGroupExtItem} {
			if _, err := s.bound(ctx, tx, st).ExecContext(ctx, int64(app), id); err != nil {
				return 0, fmt.Errorf("purge extensions of %d: %w", id, err)
			}
		}
	}
	if topic == "" {
		if _, err := s.bound(ctx, tx, s.stmt.wPurgeGroupReceipts).ExecContext(ctx, int64(app), grp, upTo); err != nil {
			return 0, fmt.Errorf("purge receipts of %s: %w", grp, err)
		}
	}
	return n, nil
}

// trimGroupMsgIDs deletes every group_msg_ids row but the newest (which
// keeps the sequence from going back on engines that take its maximum),
// a chunk per transaction.
func (s *Store) trimGroupMsgIDs(ctx context.Context) error {
	chunk := 8 * s.purgeLimits.rows
	for {
		done := false
		err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			var lo, hi sql.NullInt64
			if err := s.bound(ctx, tx, s.stmt.wMinGroupMsgID).QueryRowContext(ctx).Scan(&lo); err != nil {
				return fmt.Errorf("group message IDs: %w", err)
			}
			if err := s.bound(ctx, tx, s.stmt.wMaxGroupMsgID).QueryRowContext(ctx).Scan(&hi); err != nil {
				return fmt.Errorf("group message IDs: %w", err)
			}
			if !lo.Valid || lo.Int64 >= hi.Int64 {
				done = true
				return nil
			}
			upTo := min(hi.Int64, lo.Int64+chunk)
			if _, err := s.bound(ctx, tx, s.stmt.wTrimGroupMsgIDs).ExecContext(ctx, upTo); err != nil {
				return fmt.Errorf("trim group message IDs: %w", err)
			}
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}
