package tim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"

	"github.com/parleyim/parley/internal/parleytest"
)

// v4/openim/modify_c2c_msg (reference §3.2).

// ccd is the members fragment that sets CloudCustomData.
func ccd(s string) string {
	b, _ := json.Marshal(s)
	return `,"CloudCustomData":` + string(b)
}

func TestModifyC2CMsg(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		key := sendText(t, n, "alice", "bob", 1, "original", ccd("ccd 0"))
		other := sendText(t, n, "bob", "alice", 2, "untouched", ccd("other"))
		custom := `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"two"}},{"MsgType":"TIMCustomElem","MsgContent":{"Data":"d","Desc":"e"}}]`
		steps := []struct {
			name     string
			extra    string // members after MsgKey
			body, cd string // what history shows afterwards
		}{
			{"MsgBody only", `,"MsgBody":` + textBody("edited"), textBody("edited"), "ccd 0"},
			{"CloudCustomData only", ccd("ccd 1"), textBody("edited"), "ccd 1"},
			{"both", `,"MsgBody":` + custom + ccd("ccd 2"), custom, "ccd 2"},
			{"CloudCustomData emptied", ccd(""), custom, ""},
			{"MsgBody null is absent", `,"MsgBody":null` + ccd("ccd 3"), custom, "ccd 3"},
		}
		for _, st := range steps {
			timCode(t, n, "openim/modify_c2c_msg", msgRef("alice", "bob", key, st.extra), 0)
			for _, side := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
				h := historyOf(t, n, side[0], side[1])
				m := findMsg(t, h, key)
				if string(m.MsgBody) != st.body || m.CloudCustomData != st.cd {
					t.Errorf("after %s, %s's history shows MsgBody %s CloudCustomData %q, want %s and %q",
						st.name, side[0], m.MsgBody, m.CloudCustomData, st.body, st.cd)
				}
				if o := findMsg(t, h, other); string(o.MsgBody) != textBody("untouched") || o.CloudCustomData != "other" {
					t.Errorf("after %s, %s's history changed the other message: %s %q", st.name, side[0], o.MsgBody, o.CloudCustomData)
				}
			}
		}
	})
}

func TestModifyC2CMsgErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, sqlite bool) {
		n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
		n.ImportAccounts(t, "alice", "bob")
		key := sendText(t, n, "alice", "bob", 1, "original", ccd("ccd"))
		ref := func(extra string) string { return msgRef("alice", "bob", key, extra) }
		big := strings.Repeat("x", 12<<10)
		tests := []struct {
			name, body string
			want       int
		}{
			// The reference names no code for a request that modifies
			// nothing; the current answer is 90002 (MsgBody not per spec).
			{"neither field", ref(""), 90002},
			{"MsgBody null alone", ref(`,"MsgBody":null`), 90002},
			{"MsgBody empty", ref(`,"MsgBody":[]`), 90002},
			{"element not an object", ref(`,"MsgBody":["hi"]`), 90002},
			{"element without MsgType", ref(`,"MsgBody":[{"MsgContent":{"Text":"hi"}}]`), 90002},
			{"MsgBody an object", ref(`,"MsgBody":{"MsgType":"TIMTextElem"}`), 90007},
			{"MsgBody a string", ref(`,"MsgBody":"hi"`), 90007},
			{"Text a number", ref(`,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":1}}]`), 90010},
			{"MsgContent missing", ref(`,"MsgBody":[{"MsgType":"TIMTextElem"}]`), 90010},
			{"two custom elements", ref(`,"MsgBody":[{"MsgType":"TIMCustomElem","MsgContent":{}},{"MsgType":"TIMCustomElem","MsgContent":{}}]`), 90010},
			{"MsgBody over 12 KB", ref(`,"MsgBody":` + textBody(big)), 93000},
			{"CloudCustomData over 12 KB", ref(ccd(big)), 93000},
			{"together over 12 KB", ref(`,"MsgBody":` + textBody(big[:7<<10]) + ccd(big[:6<<10])), 93000},
			{"CloudCustomData a number", ref(`,"CloudCustomData":1`), 20001},
			{"unknown message", msgRef("alice", "bob", "1_2_3", ccd("x")), 20022},
			{"From and To swapped", msgRef("bob", "alice", key, ccd("x")), 20022},
			{"malformed key", msgRef("alice", "bob", "1_2", ccd("x")), 90054},
			{"MsgKey missing", `{"From_Account":"alice","To_Account":"bob","CloudCustomData":"x"}`, 90054},
			{"From_Account missing", fmt.Sprintf(`{"To_Account":"bob","MsgKey":%q,"CloudCustomData":"x"}`, key), 90008},
			{"To_Account missing", fmt.Sprintf(`{"From_Account":"alice","MsgKey":%q,"CloudCustomData":"x"}`, key), 90003},
			{"JSON syntax error", `{"From_Account":"alice"`, 90001},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				timCode(t, n, "openim/modify_c2c_msg", tt.body, tt.want)
			})
		}
		// Nothing refused changed the message.
		m := findMsg(t, historyOf(t, n, "bob", "alice"), key)
		if string(m.MsgBody) != textBody("original") || m.CloudCustomData != "ccd" {
			t.Errorf("after the refused modifications history shows %s %q, want the original", m.MsgBody, m.CloudCustomData)
		}
		// Exactly 12 KB in all is accepted.
		fit := ref(`,"MsgBody":` + textBody("") + ccd(strings.Repeat("y", 12<<10-len(textBody("")))))
		timCode(t, n, "openim/modify_c2c_msg", fit, 0)
	})
}
