package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/parleyim/parley/internal/core"
)

// Group limits the group scenarios keep to.
const (
	// maxGroupPage is the most group_msg_get_simple answers at once.
	maxGroupPage = core.MaxGroupHistoryPage
	// maxFanoutMembers is the largest group there can be (a Community).
	maxFanoutMembers = core.CommunityMaxMembers
	// maxSendGroups bounds --groups.
	maxSendGroups = 100_000
	// publicMaxMembers is the most members a Public group takes; fanout
	// uses a Community beyond it.
	publicMaxMembers = core.DefaultMaxMembers
)

// groupSpec is a group a scenario needs: created with its first members
// (at most core.MaxCreateMembers in create_group), the rest added with
// add_group_member, core.MaxAddMembers at a time.
type groupSpec struct {
	id      string // custom GroupId: a run reuses the group of an earlier one
	typ     string // Public, Community …
	owner   string
	members []string // besides the owner
	max     int      // MaxMemberCount; 0: the type's default
}

// ensureGroup creates g (or finds it, created by an earlier run: 10021 or
// 10025) and makes every one of g.members a member. The accounts must be
// imported.
func (t *target) ensureGroup(ctx context.Context, r *rest, g groupSpec) error {
	first := g.members[:min(len(g.members), core.MaxCreateMembers)]
	var b strings.Builder
	fmt.Fprintf(&b, `{"Type":%q,"GroupId":%q,"Name":"parley bench","Owner_Account":%q`, g.typ, g.id, g.owner)
	if g.max > 0 {
		fmt.Fprintf(&b, `,"MaxMemberCount":%d`, g.max)
	}
	b.WriteString(`,"MemberList":[`)
	for i, m := range first {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Member_Account":%q}`, m)
	}
	b.WriteString(`]}`)
	var buf bytes.Buffer
	err := r.post(ctx, r.url("group_open_http_svc/create_group", rand.Uint32()), []byte(b.String()), &buf)
	var te *timError
	switch {
	case err == nil:
		if len(first) == len(g.members) {
			return nil
		}
	case errors.As(err, &te) && (te.Code == 10021 || te.Code == 10025):
		first = nil // an earlier run's: make sure of every member
	default:
		return fmt.Errorf("create_group %s: %w", g.id, err)
	}
	rest := g.members[len(first):]
	for i := 0; i < len(rest); i += core.MaxAddMembers {
		batch := rest[i:min(i+core.MaxAddMembers, len(rest))]
		b.Reset()
		fmt.Fprintf(&b, `{"GroupId":%q,"Silence":1,"MemberList":[`, g.id)
		for j, m := range batch {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"Member_Account":%q}`, m)
		}
		b.WriteString(`]}`)
		if err := r.post(ctx, r.url("group_open_http_svc/add_group_member", rand.Uint32()), []byte(b.String()), &buf); err != nil {
			return fmt.Errorf("add_group_member %s: %w", g.id, err)
		}
		if bytes.Contains(buf.Bytes(), []byte(`"Result":0`)) {
			return fmt.Errorf("add_group_member %s: some accounts were not added: %.200s", g.id, buf.Bytes())
		}
	}
	return nil
}

// appendSendGroupMsg appends a send_group_msg body; from "" sends as the
// app admin (no From_Account).
func appendSendGroupMsg(b []byte, group, from string, random uint32, msgBody []byte) []byte {
	b = append(b, `{"GroupId":"`...)
	b = append(b, group...)
	if from != "" {
		b = append(b, `","From_Account":"`...)
		b = append(b, from...)
	}
	b = append(b, `","Random":`...)
	b = strconv.AppendUint(b, uint64(random), 10)
	b = append(b, `,"MsgBody":`...)
	b = append(b, msgBody...)
	return append(b, '}')
}

// sentGroupMsg checks a send_group_msg answer: a message that frequency
// control dropped (ErrorCode 0 with MsgDropReason) is an error here. It
// returns the message's MsgSeq.
func sentGroupMsg(answer []byte) (uint64, error) {
	if bytes.Contains(answer, []byte(`"MsgDropReason":"`)) {
		return 0, errFreqCtrl
	}
	seq, ok := intMember(answer, "MsgSeq")
	if !ok || seq <= 0 {
		return 0, fmt.Errorf("send_group_msg: no MsgSeq in %.120s", answer)
	}
	return uint64(seq), nil
}
