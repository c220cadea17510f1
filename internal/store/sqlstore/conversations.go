package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/parleyim/parley/internal/core"
)

type convStmts struct {
	wConvUpdate, wConvUpdate2, wConvUnreadDelta, wConvDropUnread *sql.Stmt
	wConvUpdateRet, wConvUpdate2Ret                              *sql.Stmt
	wConvRead, wConvRecount, wConvGet, wConvMaxID                *sql.Stmt
	wConvDelete, wConvPin, rConv, rConvs                         *sql.Stmt
	rConvsOfType, rC2CUnreadTotal                                *sql.Stmt
	rConvListAt, rConvListBelow, rConvListUpTo, rConvListPinned  *sql.Stmt
}

const convColumns = `app, owner, type, peer, last_id, last_time, last_seq, unread, read_time,
	unread_floor, cleared_id, pinned, pinned_at, hidden`

var c2cType = strconv.Itoa(int(core.ConvC2C))

// lastMoves: the proposed row's last message comes after the stored one in
// history order (time, seq, id).
const lastMoves = `(excluded.last_time, excluded.last_seq, excluded.last_id) >
	(conversations.last_time, conversations.last_seq, conversations.last_id)`

// convWhere names one conversation: $1 app, $2 owner, $3 type, $4 peer.
const convWhere = ` WHERE app = $1 AND owner = $2 AND type = $3 AND peer = $4`

func (st *convStmts) defs() []stmtDef {
	return []stmtDef{
		{&st.wConvUpdate, true, convUpdateSQL(1, false)},
		{&st.wConvUpdate2, true, convUpdateSQL(2, false)},
		{&st.wConvUpdateRet, true, convUpdateSQL(1, true)},
		{&st.wConvUpdate2Ret, true, convUpdateSQL(2, true)},
		// One message ($5 time, $6 ID) starts ($7 = 1) or stops ($7 = -1)
		// counting unread for the receiver $2 with the sender $4.
		{&st.wConvUnreadDelta, true, `UPDATE conversations SET unread = unread + $7` + convWhere + `
			AND read_time < $5 AND unread_floor < $6 AND unread + $7 >= 0`},
		{&st.wConvDropUnread, true, `UPDATE conversations SET unread = CASE WHEN unread > $5 THEN unread - $5 ELSE 0 END` + convWhere},
		{&st.wConvRead, true, `INSERT INTO conversations (app, owner, type, peer, read_time) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (app, owner, type, peer) DO UPDATE SET read_time =
			CASE WHEN excluded.read_time > conversations.read_time THEN excluded.read_time ELSE conversations.read_time END`},
		// Counts the messages from peer to owner that count unread, are
		// newer than the read time and above the unread floor; $5 is conv.
		{&st.wConvRecount, true, `UPDATE conversations SET unread = (SELECT COUNT(*) FROM c2c_messages m
			WHERE m.app = conversations.app AND m.conv = $5 AND m.receiver = conversations.owner
			AND m.sender = conversations.peer AND m.counts_unread = 1
			AND m.time > conversations.read_time AND m.id > conversations.unread_floor)` + convWhere +
			` RETURNING ` + convColumns},
		{&st.wConvGet, true, `SELECT ` + convColumns + ` FROM conversations` + convWhere},
		{&st.wConvMaxID, true, `SELECT COALESCE(MAX(id), 0) FROM c2c_messages WHERE app = $1 AND conv = $2`},
		{&st.wConvDelete, true, `INSERT INTO conversations (app, owner, type, peer, hidden, unread_floor, cleared_id)
			VALUES ($1, $2, $3, $4, 1, $5, $6)
			ON CONFLICT (app, owner, type, peer) DO UPDATE SET hidden = 1, unread = 0,
			unread_floor = CASE WHEN excluded.unread_floor > conversations.unread_floor
				THEN excluded.unread_floor ELSE conversations.unread_floor END,
			cleared_id = CASE WHEN excluded.cleared_id > conversations.cleared_id
				THEN excluded.cleared_id ELSE conversations.cleared_id END`},
		{&st.wConvPin, true, `INSERT INTO conversations (app, owner, type, peer, pinned, pinned_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (app, owner, type, peer) DO UPDATE SET pinned = excluded.pinned, pinned_at = excluded.pinned_at`},
		{&st.rConv, false, `SELECT ` + convColumns + ` FROM conversations` + convWhere},
		{&st.rConvs, false, `SELECT ` + convColumns + ` FROM conversations WHERE app = $1 AND owner = $2`},
		{&st.rConvsOfType, false, `SELECT ` + convColumns + ` FROM conversations WHERE app = $1 AND owner = $2 AND type = $3`},
		// An owner's rows are contiguous in the primary key: the sum reads
		// them in the database and hands back one number.
		{&st.rC2CUnreadTotal, false, `SELECT CAST(COALESCE(SUM(unread), 0) AS BIGINT) FROM conversations
			WHERE app = $1 AND owner = $2 AND type = ` + c2cType},
		// Pages of the list walk conv_recent in list order and stop at the
		// limit (see ListConversations): $3 MaxTime, $4 the greatest pinned
		// value kept (0: unpinned only), $5 1 to keep empty conversations.
		// SQLite reads a WITHOUT ROWID table's row for each index entry it
		// walks, before the filters and the offset, unless the index covers
		// the query: so rConvListAt finds the peers past the offset in
		// conv_recent alone, then reads only their rows (in no particular
		// order). "last_time <= $3 AND last_time >= $3" is "= $3" in a form
		// that makes SQLite walk conv_recent rather than the primary key.
		{&st.rConvListAt, false, `SELECT ` + convListColumns + convListFrom + ` AND peer IN (SELECT peer` + convListFrom + `
			AND last_time <= $3 AND last_time >= $3` + convListFilter + ` LIMIT $6 OFFSET $7)`},
		{&st.rConvListBelow, false, `SELECT ` + convListColumns + convListFrom + `
			AND last_time < $3` + convListFilter + ` LIMIT $6`},
		{&st.rConvListUpTo, false, `SELECT ` + convListColumns + convListFrom + `
			AND last_time <= $3` + convListFilter + ` LIMIT $6`},
		// Pinned conversations are few: conv_pinned holds only them.
		{&st.rConvListPinned, false, `SELECT ` + convListColumns + convListFrom + ` AND pinned = 1 AND hidden = 0`},
	}
}

// convListColumns are what a listed conversation needs beyond what the
// query names (app, owner, type) or implies (not hidden); convLister
// reads them.
const convListColumns = `peer, last_id, last_time, last_seq, unread, read_time, unread_floor, cleared_id, pinned, pinned_at`

// convListFrom selects owner $2's C2C conversations of app $1.
var convListFrom = ` FROM conversations WHERE app = $1 AND owner = $2 AND type = ` + c2cType

// convListFilter keeps listed conversations (see rConvListAt) in list order.
const convListFilter = ` AND hidden = 0 AND pinned <= $4 AND (last_time <> 0 OR $5 = 1)
	ORDER BY last_time DESC, peer`

// convUpdateSQL applies a new message's core.ConvUpdates (rows of them) in
// one upsert: $1 app, $2 the message's time, $3 its ID; then per row owner,
// peer, the message's (id, time, seq) when it may become the last (else
// zeros) and unread: 1 when the message counts unread for the owner and its
// time is above 0, the read time of a new row (so a new row starts right).
// On an existing row the last message only moves forward, a hidden
// conversation shows again when the message may become its last, and the
// message counts one unread when unread is 1 and it is newer than the read
// time and above the unread floor (newer than a read time, which is never
// negative, implies a time above 0).
//
// With returning, the statement also returns the conversations as they are
// after it (RETURNING costs about a third of the statement on SQLite, so it
// is only used when the commit feed wants them).
func convUpdateSQL(rows int, returning bool) string {
	var values []string
	for r := range rows {
		p := 4 + 6*r
		values = append(values, fmt.Sprintf(`($1, $%d, %s, $%d, $%d, $%d, $%d, $%d)`, p, c2cType, p+1, p+2, p+3, p+4, p+5))
	}
	return `INSERT INTO conversations (app, owner, type, peer, last_id, last_time, last_seq, unread)
		VALUES ` + strings.Join(values, ", ") + `
		ON CONFLICT (app, owner, type, peer) DO UPDATE SET
		last_id = CASE WHEN ` + lastMoves + ` THEN excluded.last_id ELSE conversations.last_id END,
		last_time = CASE WHEN ` + lastMoves + ` THEN excluded.last_time ELSE conversations.last_time END,
		last_seq = CASE WHEN ` + lastMoves + ` THEN excluded.last_seq ELSE conversations.last_seq END,
		hidden = CASE WHEN excluded.last_id <> 0 THEN 0 ELSE conversations.hidden END,
		unread = conversations.unread + CASE WHEN excluded.unread = 1 AND $2 > conversations.read_time
			AND $3 > conversations.unread_floor THEN 1 ELSE 0 END` + returningConv(returning)
}

func returningConv(on bool) string {
	if on {
		return ` RETURNING ` + convColumns
	}
	return ""
}

// applyConvUpdates applies m's conversation updates (see convUpdateSQL) in
// one statement. With want, it returns the conversations as they are now
// (what the commit feed reports with the message's events). A message's
// updates have different owners.
func (s *Store) applyConvUpdates(ctx context.Context, tx *sql.Tx, m *core.C2CMessage, us []core.ConvUpdate, want bool) ([]core.Conversation, error) {
	var st *sql.Stmt
	switch {
	case len(us) == 0:
		return nil, nil
	case len(us) > 2:
		return nil, fmt.Errorf("message %d has %d conversation updates", m.ID, len(us))
	case want && len(us) == 1:
		st = s.stmt.wConvUpdateRet
	case want:
		st = s.stmt.wConvUpdate2Ret
	case len(us) == 1:
		st = s.stmt.wConvUpdate
	default:
		st = s.stmt.wConvUpdate2
	}
	var buf [3 + 2*6]any
	args := append(buf[:0], int64(m.App), m.Time, m.ID)
	for _, u := range us {
		var lastID, lastTime, lastSeq int64
		if u.Last {
			lastID, lastTime, lastSeq = m.ID, m.Time, int64(m.Seq)
		}
		// A new row has read time 0 and floor 0, below every ID.
		args = append(args, u.Owner, u.Peer, lastID, lastTime, lastSeq, bit(u.Unread && m.Time > 0))
	}
	if !want {
		if _, err := s.bound(ctx, tx, st).ExecContext(ctx, args...); err != nil {
			return nil, fmt.Errorf("conversations of message %d: %w", m.ID, err)
		}
		return nil, nil
	}
	rows, err := s.bound(ctx, tx, st).QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("conversations of message %d: %w", m.ID, err)
	}
	defer rows.Close()
	convs := make([]core.Conversation, 0, len(us))
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, fmt.Errorf("conversations of message %d: %w", m.ID, err)
		}
		convs = append(convs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conversations of message %d: %w", m.ID, err)
	}
	return convs, nil
}

// adjustUnread counts m (now counting unread: up) or stops counting it in
// its receiver's conversation, as far as it is newer than the read time and
// above the unread floor. The count never goes below 0.
func (s *Store) adjustUnread(ctx context.Context, tx *sql.Tx, m *core.C2CMessage, up bool) error {
	delta := int64(-1)
	if up {
		delta = 1
	}
	_, err := s.bound(ctx, tx, s.stmt.wConvUnreadDelta).ExecContext(ctx,
		int64(m.App), m.To, int64(core.ConvC2C), m.From, m.Time, m.ID, delta)
	if err != nil {
		return fmt.Errorf("unread of %s→%s: %w", m.To, m.From, err)
	}
	return nil
}

// dropUnread takes the purged messages msgs, all from sender to receiver
// and counting unread, out of receiver's count: those that were newer than
// the read time and above the unread floor.
func (s *Store) dropUnread(ctx context.Context, tx *sql.Tx, app core.AppID, receiver, sender string, msgs []purged) error {
	c, ok, err := s.convIn(ctx, tx, app, receiver, core.ConvC2C, sender)
	if err != nil || !ok {
		return err
	}
	var n int64
	for _, m := range msgs {
		if m.time > c.ReadTime && m.id > c.UnreadFloor {
			n++
		}
	}
	if n == 0 || c.Unread == 0 {
		return nil
	}
	_, err = s.bound(ctx, tx, s.stmt.wConvDropUnread).ExecContext(ctx, int64(app), receiver, int64(core.ConvC2C), sender, n)
	if err != nil {
		return fmt.Errorf("unread of %s→%s: %w", receiver, sender, err)
	}
	return nil
}

// convIn reads a conversation inside a committer transaction.
func (s *Store) convIn(ctx context.Context, tx *sql.Tx, app core.AppID, owner string, typ core.ConvType, peer string) (core.Conversation, bool, error) {
	c, err := scanConv(s.bound(ctx, tx, s.stmt.wConvGet).QueryRowContext(ctx, int64(app), owner, int64(typ), peer))
	if errors.Is(err, sql.ErrNoRows) {
		return core.Conversation{}, false, nil
	}
	if err != nil {
		return core.Conversation{}, false, fmt.Errorf("conversation %s→%s: %w", owner, peer, err)
	}
	return c, true, nil
}

func (s *Store) Conversation(ctx context.Context, app core.AppID, owner string, typ core.ConvType, peer string) (core.Conversation, bool, error) {
	c, err := scanConv(s.stmt.rConv.QueryRowContext(ctx, int64(app), owner, int64(typ), peer))
	if errors.Is(err, sql.ErrNoRows) {
		return core.Conversation{}, false, nil
	}
	if err != nil {
		return core.Conversation{}, false, s.readErr(err)
	}
	return c, true, nil
}

func (s *Store) Conversations(ctx context.Context, app core.AppID, owner string) ([]core.Conversation, error) {
	rows, err := s.stmt.rConvs.QueryContext(ctx, int64(app), owner)
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []core.Conversation
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) ConversationsOfType(ctx context.Context, app core.AppID, owner string, typ core.ConvType) ([]core.Conversation, error) {
	rows, err := s.stmt.rConvsOfType.QueryContext(ctx, int64(app), owner, int64(typ))
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []core.Conversation
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) C2CUnreadTotal(ctx context.Context, app core.AppID, owner string) (int, error) {
	var n int64
	if err := s.stmt.rC2CUnreadTotal.QueryRowContext(ctx, int64(app), owner).Scan(&n); err != nil {
		return 0, s.readErr(err)
	}
	return int(n), nil
}

// ListConversations reads a page from conv_recent: with q.Skip, the
// conversations at q.MaxTime past the skipped ones, then, if the page has
// room left, those before q.MaxTime; without, both at once. Only the page
// crosses database/sql, and only the columns a listed row needs. Pinned
// conversations alone are read whole (they are few) and paged here.
func (s *Store) ListConversations(ctx context.Context, q core.ConvListQuery) ([]core.Conversation, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	l := convLister{app: q.App, owner: q.Owner}
	if q.Pins == core.PinnedOnly {
		if err := l.read(ctx, s, s.stmt.rConvListPinned, int64(q.App), q.Owner); err != nil {
			return nil, err
		}
		return pagePinned(l.out, q), nil
	}
	maxPinned := int64(1)
	if q.Pins == core.UnpinnedOnly {
		maxPinned = 0
	}
	l.out = make([]core.Conversation, 0, min(q.Limit, 128))
	args := []any{int64(q.App), q.Owner, q.MaxTime, maxPinned, bit(q.WithEmpty), int64(q.Limit)}
	if q.Skip <= 0 {
		return l.out, l.read(ctx, s, s.stmt.rConvListUpTo, args...)
	}
	if err := l.read(ctx, s, s.stmt.rConvListAt, append(args, int64(q.Skip))...); err != nil {
		return nil, err
	}
	sortListed(l.out) // all at MaxTime
	if len(l.out) < q.Limit {
		args[5] = int64(q.Limit - len(l.out))
		if err := l.read(ctx, s, s.stmt.rConvListBelow, args...); err != nil {
			return nil, err
		}
	}
	return l.out, nil
}

// pagePinned applies q's time, emptiness, order, skip and limit to
// pinned conversations read whole.
func pagePinned(cs []core.Conversation, q core.ConvListQuery) []core.Conversation {
	cs = slices.DeleteFunc(cs, func(c core.Conversation) bool {
		return c.LastTime > q.MaxTime || (c.LastTime == 0 && !q.WithEmpty)
	})
	sortListed(cs)
	skip := 0
	for skip < len(cs) && skip < q.Skip && cs[skip].LastTime == q.MaxTime {
		skip++
	}
	cs = cs[skip:]
	return cs[:min(len(cs), q.Limit)]
}

// sortListed puts C2C conversations in list order.
func sortListed(cs []core.Conversation) {
	slices.SortFunc(cs, func(a, b core.Conversation) int {
		if c := cmp.Compare(b.LastTime, a.LastTime); c != 0 {
			return c
		}
		return strings.Compare(a.Peer, b.Peer)
	})
}

// convLister reads listed conversations (convListColumns) of one owner,
// scanning every row into the same variables.
type convLister struct {
	app   core.AppID
	owner string
	out   []core.Conversation
	row   core.Conversation
	ints  [3]int64 // last_seq, unread, pinned
	dest  []any
}

func (l *convLister) read(ctx context.Context, s *Store, st *sql.Stmt, args ...any) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return s.readErr(err)
	}
	defer rows.Close()
	if l.dest == nil {
		r := &l.row
		l.dest = []any{&r.Peer, &r.LastID, &r.LastTime, &l.ints[0], &l.ints[1], &r.ReadTime,
			&r.UnreadFloor, &r.ClearedID, &l.ints[2], &r.PinnedAt}
	}
	for rows.Next() {
		if err := rows.Scan(l.dest...); err != nil {
			return err
		}
		c := l.row
		c.App, c.Owner, c.Type = l.app, l.owner, core.ConvC2C
		c.LastSeq, c.Unread, c.Pinned = uint32(l.ints[0]), int(l.ints[1]), l.ints[2] != 0
		l.out = append(l.out, c)
	}
	return s.readErr(rows.Err())
}

// MarkC2CRead creates the conversation if missing, moves its read time
// forward, recounts unread from the messages and adds events, in one
// transaction.
func (s *Store) MarkC2CRead(ctx context.Context, app core.AppID, owner, peer string, t int64, events []core.InboxEvent) (core.Conversation, error) {
	var out core.Conversation
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		typ := int64(core.ConvC2C)
		if _, err := s.bound(ctx, tx, s.stmt.wConvRead).ExecContext(ctx, int64(app), owner, typ, peer, t); err != nil {
			return fmt.Errorf("read %s→%s: %w", owner, peer, err)
		}
		var err error
		out, err = scanConv(s.bound(ctx, tx, s.stmt.wConvRecount).QueryRowContext(ctx,
			int64(app), owner, typ, peer, convKey(owner, peer)))
		if err != nil {
			return fmt.Errorf("recount %s→%s: %w", owner, peer, err)
		}
		return s.addInbox(ctx, tx, app, events, nil, out)
	})
	if err != nil {
		return core.Conversation{}, err
	}
	return out, nil
}

// DeleteConversation hides the conversation (creating it hidden if
// missing), zeroes its unread count and raises its unread floor, and with
// clearHistory its ClearedID, to the greatest ID of the C2C messages between
// owner and peer (0 for a group). It reports whether the conversation
// existed and was not hidden already.
func (s *Store) DeleteConversation(ctx context.Context, app core.AppID, owner string, typ core.ConvType, peer string,
	clearHistory bool, events []core.InboxEvent) (bool, error) {
	var existed bool
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c, ok, err := s.convIn(ctx, tx, app, owner, typ, peer)
		if err != nil {
			return err
		}
		existed = ok && !c.Hidden
		var maxID, cleared int64
		switch typ {
		case core.ConvC2C:
			err := s.bound(ctx, tx, s.stmt.wConvMaxID).QueryRowContext(ctx, int64(app), convKey(owner, peer)).Scan(&maxID)
			if err != nil {
				return fmt.Errorf("last message %s→%s: %w", owner, peer, err)
			}
		case core.ConvGroup:
			// A group conversation's floor is the group's last seq: it
			// shows again when a later message comes.
			g, err := scanGroup(s.bound(ctx, tx, s.stmt.wGroup).QueryRowContext(ctx, int64(app), peer))
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("group %s: %w", peer, err)
			}
			maxID = int64(g.LastSeq)
		}
		if clearHistory {
			cleared = maxID
		}
		_, err = s.bound(ctx, tx, s.stmt.wConvDelete).ExecContext(ctx, int64(app), owner, int64(typ), peer, maxID, cleared)
		if err != nil {
			return fmt.Errorf("delete conversation %s→%s: %w", owner, peer, err)
		}
		return s.addInboxWithConv(ctx, tx, app, events, owner, typ, peer)
	})
	return existed, err
}

// SetConversationPinned creates the conversation if missing, sets its pin
// (PinnedAt 0 when unpinned) and adds events, in one transaction.
func (s *Store) SetConversationPinned(ctx context.Context, app core.AppID, owner string, typ core.ConvType, peer string,
	pinned bool, at int64, events []core.InboxEvent) error {
	if !pinned {
		at = 0
	}
	return s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.bound(ctx, tx, s.stmt.wConvPin).ExecContext(ctx, int64(app), owner, int64(typ), peer, bit(pinned), at)
		if err != nil {
			return fmt.Errorf("pin %s→%s: %w", owner, peer, err)
		}
		return s.addInboxWithConv(ctx, tx, app, events, owner, typ, peer)
	})
}

// scanConv reads one row of convColumns.
func scanConv(sc scanner) (core.Conversation, error) {
	var c core.Conversation
	var app, typ, lastSeq, unread int64
	var pinned, hidden bool
	err := sc.Scan(&app, &c.Owner, &typ, &c.Peer, &c.LastID, &c.LastTime, &lastSeq, &unread, &c.ReadTime,
		&c.UnreadFloor, &c.ClearedID, &pinned, &c.PinnedAt, &hidden)
	if err != nil {
		return core.Conversation{}, err
	}
	c.App, c.Type, c.LastSeq, c.Unread = core.AppID(app), core.ConvType(typ), uint32(lastSeq), int(unread)
	c.Pinned, c.Hidden = pinned, hidden
	return c, nil
}

// addInboxWithConv adds events; when a feed listens, owner's entries carry
// the conversation as it is now in the transaction.
func (s *Store) addInboxWithConv(ctx context.Context, tx *sql.Tx, app core.AppID, events []core.InboxEvent,
	owner string, typ core.ConvType, peer string) error {
	if s.feed == nil || len(events) == 0 {
		return s.addInbox(ctx, tx, app, events, nil)
	}
	c, ok, err := s.convIn(ctx, tx, app, owner, typ, peer)
	if err != nil {
		return err
	}
	if !ok {
		return s.addInbox(ctx, tx, app, events, nil)
	}
	return s.addInbox(ctx, tx, app, events, nil, c)
}
