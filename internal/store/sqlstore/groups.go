package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/parleyim/parley/internal/core"
)

var _ core.GroupStore = (*Store)(nil)

// Groups and members (core.GroupStore). Messages are in group_messages.go,
// receipts in receipts.go, topics in topics.go and retention in
// group_purge.go. As everywhere, each method is one committer transaction
// with the inbox events that go with it, and a refusal that wrote nothing
// (no such group, fn's error) is returned with Unchanged.

type groupStmts struct {
	wInsertGroup, wGroup, wSaveGroupInfo, wDeleteGroup, wMemberCountDelta    *sql.Stmt
	wInsertMember, wMember, wSaveMember, wDeleteMember, wDeleteMemberConv    *sql.Stmt
	wDropGroupMembers, wDropGroupExtMeta, wDropGroupExtItems, wDropGroupMsgs *sql.Stmt
	wDropGroupReceipts, wDropGroupTopics, wDropGroupConvs                    *sql.Stmt
}

// groupType is core.ConvGroup as SQL text: a literal in statements, so that
// SQLite sees they match the partial index conv_groups.
var groupType = strconv.Itoa(int(core.ConvGroup))

const groupColumns = `app, id, type, name, introduction, notification, face_url, owner, create_time,
	info_seq, last_info_time, max_members, apply_join, invite_join, mute_all, support_topic, app_defined, mutes,
	next_seq, last_seq, last_time, last_msg_time, counted, at_all_seq, cleared_seq, member_count`

const memberColumns = `app, grp, member_id, role, join_time, read_seq, read_counted, msg_flag,
	last_send_msg_time, mute_until, name_card, app_defined, at_me_seq`

// memberColumnsOrZero are memberColumns of m in a LEFT JOIN, NULL read as
// the zero value.
const memberColumnsOrZero = `COALESCE(m.app, 0), COALESCE(m.grp, ''), COALESCE(m.member_id, ''), COALESCE(m.role, ''),
	COALESCE(m.join_time, 0), COALESCE(m.read_seq, 0), COALESCE(m.read_counted, 0), COALESCE(m.msg_flag, ''),
	COALESCE(m.last_send_msg_time, 0), COALESCE(m.mute_until, 0), COALESCE(m.name_card, ''), m.app_defined,
	COALESCE(m.at_me_seq, 0)`

// groupWhere names one group: $1 app, $2 id.
const groupWhere = ` WHERE app = $1 AND id = $2`

// memberWhere names one member: $1 app, $2 group, $3 user.
const memberWhere = ` WHERE app = $1 AND grp = $2 AND member_id = $3`

// extFlag selects messages that may have extensions (only those keep any).
var extFlag = strconv.Itoa(int(core.GFlagSupportExtension))

func (st *groupStmts) defs() []stmtDef {
	return []stmtDef{
		{&st.wInsertGroup, true, `INSERT INTO chat_groups (` + groupColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
			$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)
			ON CONFLICT (app, id) DO NOTHING`},
		{&st.wGroup, true, `SELECT ` + groupColumns + ` FROM chat_groups` + groupWhere},
		{&st.wSaveGroupInfo, true, `UPDATE chat_groups SET name = $3, introduction = $4, notification = $5,
			face_url = $6, owner = $7, max_members = $8, apply_join = $9, invite_join = $10, mute_all = $11,
			app_defined = $12, info_seq = $13, last_info_time = $14, cleared_seq = $15, mutes = $16` + groupWhere +
			` RETURNING ` + groupColumns},
		{&st.wDeleteGroup, true, `DELETE FROM chat_groups` + groupWhere},
		{&st.wMemberCountDelta, true, `UPDATE chat_groups SET member_count = member_count + $3` + groupWhere +
			` RETURNING ` + groupColumns},
		{&st.wInsertMember, true, `INSERT INTO group_members (` + memberColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (app, grp, member_id) DO NOTHING`},
		{&st.wMember, true, `SELECT ` + memberColumns + ` FROM group_members` + memberWhere},
		{&st.wSaveMember, true, `UPDATE group_members SET role = $4, read_seq = $5, read_counted = $6, msg_flag = $7,
			mute_until = $8, name_card = $9, app_defined = $10, at_me_seq = $11, last_send_msg_time = $12` + memberWhere},
		{&st.wDeleteMember, true, `DELETE FROM group_members` + memberWhere},
		{&st.wDeleteMemberConv, true, `DELETE FROM conversations WHERE app = $1 AND owner = $2 AND type = ` + groupType + ` AND peer = $3`},
		{&st.wDropGroupMembers, true, `DELETE FROM group_members WHERE app = $1 AND grp = $2`},
		// Before the messages: their IDs name the extensions.
		{&st.wDropGroupExtMeta, true, `DELETE FROM group_ext WHERE app = $1 AND msg_id IN (SELECT id FROM group_messages
			WHERE app = $1 AND grp = $2 AND (flags & ` + extFlag + `) <> 0)`},
		{&st.wDropGroupExtItems, true, `DELETE FROM group_ext_items WHERE app = $1 AND msg_id IN (SELECT id FROM group_messages
			WHERE app = $1 AND grp = $2 AND (flags & ` + extFlag + `) <> 0)`},
		{&st.wDropGroupMsgs, true, `DELETE FROM group_messages WHERE app = $1 AND grp = $2`},
		{&st.wDropGroupReceipts, true, `DELETE FROM group_receipts WHERE app = $1 AND grp = $2`},
		{&st.wDropGroupTopics, true, `DELETE FROM group_topics WHERE app = $1 AND grp = $2`},
		// The subquery walks conv_groups; a plain DELETE would walk all of
		// the app's conversations (SQLite's planner prefers the primary key).
		{&st.wDropGroupConvs, true, `DELETE FROM conversations WHERE app = $1 AND type = ` + groupType + ` AND peer = $2
			AND owner IN (SELECT owner FROM conversations WHERE app = $1 AND type = ` + groupType + ` AND peer = $2)`},
	}
}

// CreateGroup inserts the group with NextSeq 1 and MemberCount the number
// of distinct members, then the members (App and Group set from g) and
// events. A live group with g's ID is an Unchanged Duplicate.
func (s *Store) CreateGroup(ctx context.Context, g *core.Group, members []core.Member, events []core.InboxEvent) error {
	var stored core.Group
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored = *g
		stored.NextSeq, stored.MemberCount = 1, 0
		res, err := s.bound(ctx, tx, s.stmt.wInsertGroup).ExecContext(ctx, groupArgs(&stored)...)
		if err != nil {
			return fmt.Errorf("create group %s: %w", g.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return Unchanged(core.Errorf(core.Duplicate, "", "group %s exists", g.ID))
		}
		added, err := s.insertMembers(ctx, tx, g.App, g.ID, members, nil)
		if err != nil {
			return err
		}
		if added > 0 {
			if stored, err = s.addMemberCount(ctx, tx, g.App, g.ID, added); err != nil {
				return err
			}
		}
		return s.addInbox(ctx, tx, g.App, events, nil)
	})
	if err != nil {
		return err
	}
	g.NextSeq, g.MemberCount = stored.NextSeq, stored.MemberCount
	return nil
}

// groupArgs are the values of groupColumns for g.
func groupArgs(g *core.Group) []any {
	return []any{int64(g.App), g.ID, string(g.Type), g.Name, g.Introduction, g.Notification, g.FaceURL, g.Owner,
		g.CreateTime, int64(g.InfoSeq), g.LastInfoTime, int64(g.MaxMembers), g.ApplyJoinOption, g.InviteJoinOption,
		bit(g.MuteAll), bit(g.SupportTopic), encodeKVs(g.AppDefined), encodeMutes(g.Mutes),
		int64(g.NextSeq), int64(g.LastSeq), g.LastTime, g.LastMsgTime, int64(g.Counted), int64(g.AtAllSeq),
		int64(g.ClearedSeq), int64(g.MemberCount)}
}

// groupRow receives a row of groupColumns.
type groupRow struct {
	g                                                                                core.Group
	app, infoSeq, maxMembers, nextSeq, lastSeq, counted, atAll, cleared, memberCount int64
	typ                                                                              string
	appDefined, mutes                                                                []byte
}

func (r *groupRow) dest() []any {
	g := &r.g
	return []any{&r.app, &g.ID, &r.typ, &g.Name, &g.Introduction, &g.Notification, &g.FaceURL, &g.Owner, &g.CreateTime,
		&r.infoSeq, &g.LastInfoTime, &r.maxMembers, &g.ApplyJoinOption, &g.InviteJoinOption, &g.MuteAll, &g.SupportTopic,
		&r.appDefined, &r.mutes, &r.nextSeq, &r.lastSeq, &g.LastTime, &g.LastMsgTime, &r.counted, &r.atAll, &r.cleared,
		&r.memberCount}
}

// group returns the scanned group.
func (r *groupRow) group() (core.Group, error) {
	g := r.g
	g.App, g.Type, g.InfoSeq, g.MaxMembers = core.AppID(r.app), core.GroupType(r.typ), uint64(r.infoSeq), int(r.maxMembers)
	g.NextSeq, g.LastSeq, g.Counted, g.AtAllSeq = uint64(r.nextSeq), uint64(r.lastSeq), uint64(r.counted), uint64(r.atAll)
	g.ClearedSeq, g.MemberCount = uint64(r.cleared), int(r.memberCount)
	var err error
	if g.AppDefined, err = decodeKVs(r.appDefined); err != nil {
		return core.Group{}, fmt.Errorf("group %s app-defined data: %w", g.ID, err)
	}
	if g.Mutes, err = decodeMutes(r.mutes); err != nil {
		return core.Group{}, fmt.Errorf("group %s mutes: %w", g.ID, err)
	}
	return g, nil
}

// scanGroup reads one row of groupColumns.
func scanGroup(sc scanner) (core.Group, error) {
	var r groupRow
	if err := sc.Scan(r.dest()...); err != nil {
		return core.Group{}, err
	}
	return r.group()
}

// memberArgs are the values of memberColumns for m in group of app.
func memberArgs(app core.AppID, group string, m *core.Member) []any {
	return []any{int64(app), group, m.User, string(m.Role), m.JoinTime, int64(m.ReadSeq), int64(m.ReadCounted), m.MsgFlag,
		m.LastSendMsgTime, m.MuteUntil, m.NameCard, encodeKVs(m.AppDefined), int64(m.AtMeSeq)}
}

// memberRow receives a row of memberColumns.
type memberRow struct {
	m                               core.Member
	app, readSeq, readCounted, atMe int64
	role                            string
	appDefined                      []byte
}

func (r *memberRow) dest() []any {
	m := &r.m
	return []any{&r.app, &m.Group, &m.User, &r.role, &m.JoinTime, &r.readSeq, &r.readCounted, &m.MsgFlag,
		&m.LastSendMsgTime, &m.MuteUntil, &m.NameCard, &r.appDefined, &r.atMe}
}

// member returns the scanned member.
func (r *memberRow) member() (core.Member, error) {
	m := r.m
	m.App, m.Role, m.ReadSeq, m.ReadCounted, m.AtMeSeq = core.AppID(r.app), core.Role(r.role), uint64(r.readSeq), uint64(r.readCounted), uint64(r.atMe)
	var err error
	if m.AppDefined, err = decodeKVs(r.appDefined); err != nil {
		return core.Member{}, fmt.Errorf("member %s of %s app-defined data: %w", m.User, m.Group, err)
	}
	return m, nil
}

// scanMember reads one row of memberColumns.
func scanMember(sc scanner) (core.Member, error) {
	var r memberRow
	if err := sc.Scan(r.dest()...); err != nil {
		return core.Member{}, err
	}
	return r.member()
}

// groupIn reads a live group inside tx; none is an Unchanged NotFound.
func (s *Store) groupIn(ctx context.Context, tx *sql.Tx, app core.AppID, id string) (core.Group, error) {
	g, err := scanGroup(s.bound(ctx, tx, s.stmt.wGroup).QueryRowContext(ctx, int64(app), id))
	if errors.Is(err, sql.ErrNoRows) {
		return g, Unchanged(noGroup(id))
	}
	if err != nil {
		return g, fmt.Errorf("group %s: %w", id, err)
	}
	return g, nil
}

func noGroup(id string) error { return core.Errorf(core.NotFound, "", "no group %s", id) }

// memberIn reads a member inside tx; ok is false when user is none.
func (s *Store) memberIn(ctx context.Context, tx *sql.Tx, app core.AppID, group, user string) (m core.Member, ok bool, err error) {
	m, err = scanMember(s.bound(ctx, tx, s.stmt.wMember).QueryRowContext(ctx, int64(app), group, user))
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("member %s of %s: %w", user, group, err)
	}
	return m, true, nil
}

// insertMembers inserts the members that are new, marking them in isNew
// (when not nil), and returns how many it inserted. It does not touch
// member_count.
func (s *Store) insertMembers(ctx context.Context, tx *sql.Tx, app core.AppID, group string, members []core.Member, isNew []bool) (int, error) {
	insert := s.bound(ctx, tx, s.stmt.wInsertMember)
	added := 0
	for i := range members {
		res, err := insert.ExecContext(ctx, memberArgs(app, group, &members[i])...)
		if err != nil {
			return 0, fmt.Errorf("add member %s to %s: %w", members[i].User, group, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		if n > 0 {
			added++
			if isNew != nil {
				isNew[i] = true
			}
		}
	}
	return added, nil
}

// addMemberCount moves the group's member_count by delta and returns the
// group as stored.
func (s *Store) addMemberCount(ctx context.Context, tx *sql.Tx, app core.AppID, group string, delta int) (core.Group, error) {
	g, err := scanGroup(s.bound(ctx, tx, s.stmt.wMemberCountDelta).QueryRowContext(ctx, int64(app), group, int64(delta)))
	if err != nil {
		return g, fmt.Errorf("member count of %s: %w", group, err)
	}
	return g, nil
}

// ScanGroups reads every group with its members in one statement (one
// snapshot), calling fn as each group's rows end. Rows of one group are
// consecutive, whatever order the engine's collation gives the IDs.
func (s *Store) ScanGroups(ctx context.Context, fn func(g core.Group, members []core.Member) error) error {
	rows, err := s.readDB.QueryContext(ctx, `SELECT `+prefixed("g.", groupColumns)+`, m.member_id IS NOT NULL, `+memberColumnsOrZero+`
		FROM chat_groups g LEFT JOIN group_members m ON m.app = g.app AND m.grp = g.id
		ORDER BY g.app, g.id, m.member_id`)
	if err != nil {
		return s.readErr(err)
	}
	defer rows.Close()
	var cur core.Group
	var members []core.Member
	have := false
	var gr groupRow
	var mr memberRow
	var hasMember bool
	dest := slices.Concat(gr.dest(), []any{&hasMember}, mr.dest())
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if !have || core.AppID(gr.app) != cur.App || gr.g.ID != cur.ID {
			if have {
				if err := fn(cur, members); err != nil {
					return err
				}
			}
			g, err := gr.group()
			if err != nil {
				return err
			}
			cur, members, have = g, nil, true
		}
		if hasMember {
			m, err := mr.member()
			if err != nil {
				return err
			}
			members = append(members, m)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if have {
		return fn(cur, members)
	}
	return nil
}

// prefixed qualifies each of the comma-separated columns with p.
func prefixed(p, columns string) string {
	var out []byte
	start := true
	for i := 0; i < len(columns); i++ {
		c := columns[i]
		if start && c != ' ' && c != '\t' && c != '\n' {
			out = append(out, p...)
			start = false
		}
		out = append(out, c)
		if c == ',' {
			start = true
		}
	}
	return string(out)
}

// UpdateGroup reads the live group, lets fn change a copy and saves the
// info fields core may change, with fn's events.
func (s *Store) UpdateGroup(ctx context.Context, app core.AppID, id string, fn func(g *core.Group) ([]core.InboxEvent, error)) (core.Group, error) {
	var out core.Group
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored, err := s.groupIn(ctx, tx, app, id)
		if err != nil {
			return err
		}
		g := stored
		g.AppDefined = slices.Clone(stored.AppDefined)
		events, err := fn(&g)
		if err != nil {
			return Unchanged(err)
		}
		out, err = scanGroup(s.bound(ctx, tx, s.stmt.wSaveGroupInfo).QueryRowContext(ctx, int64(app), id,
			g.Name, g.Introduction, g.Notification, g.FaceURL, g.Owner, int64(g.MaxMembers), g.ApplyJoinOption,
			g.InviteJoinOption, bit(g.MuteAll), encodeKVs(g.AppDefined), int64(g.InfoSeq), g.LastInfoTime,
			int64(g.ClearedSeq), encodeMutes(g.Mutes)))
		if err != nil {
			return fmt.Errorf("update group %s: %w", id, err)
		}
		return s.addInbox(ctx, tx, app, events, nil)
	})
	if err != nil {
		return core.Group{}, err
	}
	return out, nil
}

// DestroyGroup deletes the group row (none: Unchanged NotFound) and every
// row keyed by the group: members, messages with their extensions and
// receipts, topics, and everyone's conversation of it. A group with many
// messages makes a long transaction; destroying is rare.
func (s *Store) DestroyGroup(ctx context.Context, app core.AppID, id string, events []core.InboxEvent) error {
	return s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.bound(ctx, tx, s.stmt.wDeleteGroup).ExecContext(ctx, int64(app), id)
		if err != nil {
			return fmt.Errorf("destroy group %s: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return Unchanged(noGroup(id))
		}
		for _, st := range []*sql.Stmt{s.stmt.wDropGroupExtMeta, s.stmt.wDropGroupExtItems, s.stmt.wDropGroupMsgs,
			s.stmt.wDropGroupMembers, s.stmt.wDropGroupReceipts, s.stmt.wDropGroupTopics, s.stmt.wDropGroupConvs} {
			if _, err := s.bound(ctx, tx, st).ExecContext(ctx, int64(app), id); err != nil {
				return fmt.Errorf("destroy group %s: %w", id, err)
			}
		}
		return s.addInbox(ctx, tx, app, events, nil)
	})
}

// PutMembers inserts the members that are new (App and Group set from the
// arguments) and moves member_count by their number.
func (s *Store) PutMembers(ctx context.Context, app core.AppID, group string, members []core.Member, events []core.InboxEvent) ([]bool, core.Group, error) {
	var isNew []bool
	var out core.Group
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if out, err = s.groupIn(ctx, tx, app, group); err != nil {
			return err
		}
		isNew = make([]bool, len(members))
		added, err := s.insertMembers(ctx, tx, app, group, members, isNew)
		if err != nil {
			return err
		}
		if added > 0 {
			if out, err = s.addMemberCount(ctx, tx, app, group, added); err != nil {
				return err
			}
		}
		return s.addInbox(ctx, tx, app, events, nil)
	})
	if err != nil {
		return nil, core.Group{}, err
	}
	return isNew, out, nil
}

// RemoveMembers deletes the members and every listed user's conversation
// of the group, and moves member_count by the number of members removed.
func (s *Store) RemoveMembers(ctx context.Context, app core.AppID, group string, users []string, events []core.InboxEvent) ([]bool, core.Group, error) {
	var existed []bool
	var out core.Group
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if out, err = s.groupIn(ctx, tx, app, group); err != nil {
			return err
		}
		existed = make([]bool, len(users))
		del, delConv := s.bound(ctx, tx, s.stmt.wDeleteMember), s.bound(ctx, tx, s.stmt.wDeleteMemberConv)
		removed := 0
		for i, u := range users {
			res, err := del.ExecContext(ctx, int64(app), group, u)
			if err != nil {
				return fmt.Errorf("remove member %s from %s: %w", u, group, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n > 0 {
				existed[i] = true
				removed++
			}
			if _, err := delConv.ExecContext(ctx, int64(app), u, group); err != nil {
				return fmt.Errorf("conversation of %s with %s: %w", u, group, err)
			}
		}
		if removed > 0 {
			if out, err = s.addMemberCount(ctx, tx, app, group, -removed); err != nil {
				return err
			}
		}
		return s.addInbox(ctx, tx, app, events, nil)
	})
	if err != nil {
		return nil, core.Group{}, err
	}
	return existed, out, nil
}

// UpdateMember reads the member, lets fn change a copy and saves the
// fields core may change, with fn's events.
func (s *Store) UpdateMember(ctx context.Context, app core.AppID, group, user string,
	fn func(m *core.Member) ([]core.InboxEvent, error)) (core.Member, error) {
	var out core.Member
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored, ok, err := s.memberIn(ctx, tx, app, group, user)
		if err != nil {
			return err
		}
		if !ok {
			return Unchanged(core.Errorf(core.NotFound, "", "%s is not a member of %s", user, group))
		}
		m := stored
		m.AppDefined = slices.Clone(stored.AppDefined)
		events, err := fn(&m)
		if err != nil {
			return Unchanged(err)
		}
		if out, err = s.saveMember(ctx, tx, stored, m); err != nil {
			return err
		}
		return s.addInbox(ctx, tx, app, events, nil)
	})
	if err != nil {
		return core.Member{}, err
	}
	return out, nil
}

// UpdateMembers runs fn on each listed member (skipping users that are
// not), saving those fn reports changed, and adds events. It returns every
// listed member as stored, changed or not, in the order of users.
func (s *Store) UpdateMembers(ctx context.Context, app core.AppID, group string, users []string,
	fn func(m *core.Member) bool, events []core.InboxEvent) ([]core.Member, error) {
	var out []core.Member
	err := s.commit.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = make([]core.Member, 0, len(users))
		for _, u := range users {
			stored, ok, err := s.memberIn(ctx, tx, app, group, u)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			m := stored
			m.AppDefined = slices.Clone(stored.AppDefined)
			if fn(&m) {
				if stored, err = s.saveMember(ctx, tx, stored, m); err != nil {
					return err
				}
			}
			out = append(out, stored)
		}
		return s.addInbox(ctx, tx, app, events, nil)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// saveMember writes the fields of edited that core may change over stored
// and returns the member as stored.
func (s *Store) saveMember(ctx context.Context, tx *sql.Tx, stored, edited core.Member) (core.Member, error) {
	next := stored
	next.Role, next.ReadSeq, next.ReadCounted, next.MsgFlag = edited.Role, edited.ReadSeq, edited.ReadCounted, edited.MsgFlag
	next.MuteUntil, next.NameCard, next.AppDefined = edited.MuteUntil, edited.NameCard, edited.AppDefined
	next.AtMeSeq, next.LastSendMsgTime = edited.AtMeSeq, edited.LastSendMsgTime
	_, err := s.bound(ctx, tx, s.stmt.wSaveMember).ExecContext(ctx, int64(next.App), next.Group, next.User,
		string(next.Role), int64(next.ReadSeq), int64(next.ReadCounted), next.MsgFlag, next.MuteUntil, next.NameCard,
		encodeKVs(next.AppDefined), int64(next.AtMeSeq), next.LastSendMsgTime)
	if err != nil {
		return core.Member{}, fmt.Errorf("update member %s of %s: %w", next.User, next.Group, err)
	}
	return next, nil
}
