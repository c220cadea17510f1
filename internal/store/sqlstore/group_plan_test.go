package sqlstore

import (
	"slices"
	"strings"
	"testing"
)

// TestGroupStatementsUseWholeKeys checks on SQLite that no group statement
// reaches its rows through the app alone (which TestStatementsUseKeys
// accepts but which walks every row of the app): each names at least the
// group, or the message ID.
func TestGroupStatementsUseWholeKeys(t *testing.T) {
	s := openTestStore(t, true)
	args := make([]any, 32)
	st := &s.stmt
	defs := slices.Concat(st.groupStmts.defs(), st.groupMsgStmts.defs(), st.receiptStmts.defs(),
		st.topicStmts.defs(), st.groupPurgeStmts.defs())
	for _, d := range defs {
		plan := explain(t, s, d.sql, args)
		for _, step := range plan {
			if strings.HasPrefix(step, "SEARCH ") && strings.HasSuffix(step, "(app=?)") {
				t.Errorf("%s\nplan: %s", d.sql, strings.Join(plan, "; "))
				break
			}
		}
	}
}
