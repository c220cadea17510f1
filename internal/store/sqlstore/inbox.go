package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/parleyim/parley/internal/core"
)

// Inbox numbering. A user's entries are numbered 1, 2, 3 … in commit order,
// without gaps, and a number is never reused, even after PurgeInbox deleted
// the entries that carried it. The user's head (the newest number) is the
// greater of its inbox_heads row and its largest stored seq; PurgeInbox
// raises the row to the largest number it deletes.
//
// Two ways to take the next number, chosen by Engine.SingleWriter:
//   - single writer (SQLite): the committer is the only writer, so heads are
//     cached in memory (loaded on first use inside the transaction) and a new
//     entry costs one INSERT. A rolled-back transaction clears the cache.
//   - shared database (PostgreSQL, several nodes): each number is taken by
//     an upsert of the user's inbox_heads row that returns the new head. The
//     row lock orders concurrent writers, and a rollback undoes the number.

type inboxStmts struct {
	wInsertInbox, wLoadHead, wTakeHead, rHead, rInboxAfter *sql.Stmt
}

// headSelect reads a user's head ($1 app, $2 user): 0 when it has none.
const headSelect = `SELECT COALESCE(MAX(h), 0) FROM (
	SELECT head AS h FROM inbox_heads WHERE app = $1 AND owner = $2
	UNION ALL SELECT MAX(seq) FROM inbox WHERE app = $1 AND owner = $2) AS heads`

// maxCachedHeads bounds the single-writer head cache; when full it is
// emptied and refilled from the database as users write again.
const maxCachedHeads = 1 << 17

func (st *inboxStmts) defs() []stmtDef {
	return []stmtDef{
		{&st.wInsertInbox, true, `INSERT INTO inbox (app, owner, seq, kind, msg_id, payload, time)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`},
		{&st.wLoadHead, true, headSelect},
		{&st.wTakeHead, true, `INSERT INTO inbox_heads (app, owner, head)
			VALUES ($1, $2, 1 + COALESCE((SELECT MAX(seq) FROM inbox WHERE app = $1 AND owner = $2), 0))
			ON CONFLICT (app, owner) DO UPDATE SET head = CASE WHEN excluded.head > inbox_heads.head
				THEN excluded.head ELSE inbox_heads.head + 1 END
			RETURNING head`},
		{&st.rHead, false, headSelect},
		{&st.rInboxAfter, false, `SELECT seq, kind, msg_id, payload, time FROM inbox
			WHERE app = $1 AND owner = $2 AND seq > $3 ORDER BY seq LIMIT $4`},
	}
}

type headKey struct {
	app  core.AppID
	user string
}

// SetCommitFeed implements core.CommitFeed: fn gets what each commit added
// (inbox entries, group messages) on the committer's goroutine, after the
// commit and before the commit's writers are answered. Set it before the
// store takes writes.
func (s *Store) SetCommitFeed(fn func(core.Commit)) { s.feed = fn }

// SetFeedInterest implements core.FeedInterest: entries of users for whom
// wants is false may leave out what costs extra to read (Conv).
func (s *Store) SetFeedInterest(wants func(app core.AppID, user string) bool) { s.feedWant = wants }

// feedWants reports whether the feed wants the conversations of events.
func (s *Store) feedWants(app core.AppID, events []core.InboxEvent) bool {
	if s.feed == nil {
		return false
	}
	if s.feedWant == nil {
		return len(events) > 0
	}
	for _, e := range events {
		if s.feedWant(app, e.User) {
			return true
		}
	}
	return false
}

// flushFeed hands the committed transaction's additions to the feed.
func (s *Store) flushFeed() {
	if s.feed != nil && (len(s.txEntries) > 0 || len(s.txGroupMsgs) > 0) {
		s.feed(core.Commit{Inbox: s.txEntries, Group: s.txGroupMsgs})
		s.txEntries, s.txGroupMsgs = nil, nil // the feed keeps the slices
	}
}

// addInbox numbers events in their users' inboxes and stores them, stamped
// with the current time; an event without MsgID gets msg's ID. For the
// feed, an entry about msg carries a copy of it, and an entry of a user
// whose conversation is in convs carries that conversation.
func (s *Store) addInbox(ctx context.Context, tx *sql.Tx, app core.AppID, events []core.InboxEvent,
	msg *core.C2CMessage, convs ...core.Conversation) error {
	if len(events) == 0 {
		return nil
	}
	now := s.now().Unix()
	for _, e := range events {
		entry := core.InboxEntry{App: app, User: e.User, Kind: e.Kind, MsgID: e.MsgID, Payload: e.Payload, Time: now}
		if entry.MsgID == 0 && msg != nil {
			entry.MsgID = msg.ID
		}
		if err := s.insertInbox(ctx, tx, &entry); err != nil {
			return err
		}
		if s.feed == nil {
			continue
		}
		if msg != nil && entry.MsgID == msg.ID {
			m := *msg
			entry.Message = &m
		}
		for i := range convs {
			if convs[i].Owner == e.User {
				c := convs[i]
				entry.Conv = &c
			}
		}
		s.txEntries = append(s.txEntries, entry)
	}
	return nil
}

// insertInbox gives e the next number of its user's inbox and stores it.
func (s *Store) insertInbox(ctx context.Context, tx *sql.Tx, e *core.InboxEntry) error {
	seq, err := s.nextInboxSeq(ctx, tx, e.App, e.User)
	if err != nil {
		return fmt.Errorf("inbox head of %s: %w", e.User, err)
	}
	e.Seq = seq
	_, err = s.bound(ctx, tx, s.stmt.wInsertInbox).ExecContext(ctx,
		int64(e.App), e.User, int64(seq), int64(e.Kind), e.MsgID, nullBytes(e.Payload), e.Time)
	if err != nil {
		return fmt.Errorf("inbox of %s: %w", e.User, err)
	}
	return nil
}

// nextInboxSeq takes the next number of user's inbox, as the comment at the
// top of this file describes. It runs on the committer's goroutine only.
func (s *Store) nextInboxSeq(ctx context.Context, tx *sql.Tx, app core.AppID, user string) (uint64, error) {
	var head int64
	if s.heads == nil {
		err := s.bound(ctx, tx, s.stmt.wTakeHead).QueryRowContext(ctx, int64(app), user).Scan(&head)
		return uint64(head), err
	}
	k := headKey{app, user}
	cached, ok := s.heads[k]
	if !ok {
		if err := s.bound(ctx, tx, s.stmt.wLoadHead).QueryRowContext(ctx, int64(app), user).Scan(&head); err != nil {
			return 0, err
		}
		if len(s.heads) >= maxCachedHeads {
			clear(s.heads)
		}
		cached = uint64(head)
	}
	s.heads[k] = cached + 1
	return cached + 1, nil
}

// AddInbox stores events (numbered, stamped now) in one transaction and
// returns them as entries.
func (s *Store) AddInbox(ctx context.Context, app core.AppID, events []core.InboxEvent) ([]core.InboxEntry, error) {
	var out []core.InboxEntry
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = make([]core.InboxEntry, len(events))
		now := s.now().Unix()
		for i, e := range events {
			out[i] = core.InboxEntry{App: app, User: e.User, Kind: e.Kind, MsgID: e.MsgID, Payload: e.Payload, Time: now}
			if err := s.insertInbox(ctx, tx, &out[i]); err != nil {
				return err
			}
			if s.feed != nil {
				s.txEntries = append(s.txEntries, out[i])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) InboxAfter(ctx context.Context, app core.AppID, user string, after uint64, limit int) ([]core.InboxEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.stmt.rInboxAfter.QueryContext(ctx, int64(app), user, int64(after), limit)
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []core.InboxEntry
	for rows.Next() {
		e := core.InboxEntry{App: app, User: user}
		var seq, kind int64
		if err := rows.Scan(&seq, &kind, &e.MsgID, &e.Payload, &e.Time); err != nil {
			return nil, err
		}
		e.Seq, e.Kind = uint64(seq), core.EventKind(kind)
		out = append(out, e)
	}
	return out, rows.Err()
}

// InboxHead reads the head from the database (never the committer's cache,
// which may hold numbers of a transaction not yet committed).
func (s *Store) InboxHead(ctx context.Context, app core.AppID, user string) (uint64, error) {
	var head int64
	if err := s.stmt.rHead.QueryRowContext(ctx, int64(app), user).Scan(&head); err != nil {
		return 0, s.readErr(err)
	}
	return uint64(head), nil
}
