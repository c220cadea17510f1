package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"

	"github.com/parleyim/parley/internal/core"
)

// Read receipts of group messages: one row per reader and message, for
// messages outside topics that were sent wanting receipts.

type receiptStmts struct {
	wAddReceipt, rReceipts *sql.Stmt
}

var receiptFlag = strconv.Itoa(int(core.GFlagNeedReadReceipt))

func (st *receiptStmts) defs() []stmtDef {
	return []stmtDef{
		// Records $4's receipt of message $3 if it exists and wants
		// receipts; one row affected means it is new. (SQLite needs the
		// WHERE to tell the upsert's ON from a join's.)
		{&st.wAddReceipt, true, `INSERT INTO group_receipts (app, grp, seq, reader)
			SELECT app, grp, seq, $4 FROM group_messages
			WHERE app = $1 AND grp = $2 AND topic = '' AND seq = $3 AND (flags & ` + receiptFlag + `) <> 0
			ON CONFLICT (app, grp, seq, reader) DO NOTHING`},
		{&st.rReceipts, false, `SELECT reader FROM group_receipts WHERE app = $1 AND grp = $2 AND seq = $3 ORDER BY reader`},
	}
}

// AddGroupReceipts records user's receipts in one transaction; a seq of no
// message, of one without GFlagNeedReadReceipt or already receipted by
// user (also earlier in seqs) reports false.
func (s *Store) AddGroupReceipts(ctx context.Context, app core.AppID, group string, user string, seqs []uint64) ([]bool, error) {
	var added []bool
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		added = make([]bool, len(seqs))
		add := s.bound(ctx, tx, s.stmt.wAddReceipt)
		for i, seq := range seqs {
			if seq > math.MaxInt64 {
				continue
			}
			res, err := add.ExecContext(ctx, int64(app), group, int64(seq), user)
			if err != nil {
				return fmt.Errorf("receipt of %s for %s/%d: %w", user, group, seq, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added[i] = n > 0
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// GroupReceipts returns the readers of a message in byte order (none for
// no message).
func (s *Store) GroupReceipts(ctx context.Context, app core.AppID, group string, seq uint64) ([]string, error) {
	rows, err := s.stmt.rReceipts.QueryContext(ctx, int64(app), group, seqArg(seq))
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
