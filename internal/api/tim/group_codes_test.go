package tim

import (
	"testing"

	"github.com/parleyim/parley/internal/core"
)

// TestGroupTablesHaveEveryKind keeps the group service's code tables
// complete: every core Kind has its own row in each (a missing Kind would
// answer the internal-error code), and no row answers 0.
func TestGroupTablesHaveEveryKind(t *testing.T) {
	tables := map[string]codeTable{
		"groupCodes": groupCodes, "sendGroupCodes": sendGroupCodes, "recallCodes": recallCodes,
		"historyCodes": historyCodes, "importGroupCodes": importGroupCodes, "deleteMemberCodes": deleteMemberCodes,
		"groupReceiptCodes": groupReceiptCodes, "topicCodes": topicCodes, "groupExtCodes": groupExtCodes,
		"modifyGroupMsgCodes": modifyGroupMsgCodes,
	}
	for name, table := range tables {
		for _, k := range core.Kinds() {
			if _, ok := table[kindField{k, ""}]; !ok {
				t.Errorf("%s has no row for %s", name, k)
			}
		}
		for row, code := range table {
			if code == 0 {
				t.Errorf("%s answers 0 for %v", name, row)
			}
		}
	}
	if groupFamily.codes == nil || groupFamily.parse != 10011 || groupFamily.unknown != 10003 {
		t.Errorf("groupFamily %+v", groupFamily)
	}
}
