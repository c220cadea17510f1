package tim_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/parleytest"
)

// lifecycleCommand matches the captured C2C lifecycle paths.
var lifecycleCommand = regexp.MustCompile(`^/v4/openim/(admin_msgwithdraw|admin_set_msg_read|get_c2c_unread_msg_num|modify_c2c_msg)$`)

// TestReplayLifecycleCaptures replays every captured SDK request of the C2C
// lifecycle commands with its original headers and body. The captured
// MsgKeys name messages that never existed here, so each is replaced by the
// key of a real message sent between the same accounts just before.
func TestReplayLifecycleCaptures(t *testing.T) {
	for _, file := range captureFiles {
		t.Run(file, func(t *testing.T) {
			eachStore(t, func(t *testing.T, sqlite bool) {
				n := startOn(t, sqlite, parleytest.Options{Clock: clockAt(t0)})
				n.ImportAccounts(t, "test1", "test2", "test3", "bingo")
				replayed := map[string]int{}
				for i, c := range readCaptures(t, file) {
					if !lifecycleCommand.MatchString(c.Path) {
						continue
					}
					command := strings.TrimPrefix(c.Path, "/v4/")
					var req struct {
						From_Account    string
						To_Account      string
						MsgKey          string
						MsgBody         jsontext.Value
						CloudCustomData *string
					}
					if err := json.Unmarshal([]byte(c.BodyRaw), &req); err != nil {
						t.Fatalf("#%d %s: captured body: %v", c.N, command, err)
					}
					body := c.BodyRaw
					key := ""
					if req.MsgKey != "" {
						key = sendText(t, n, req.From_Account, req.To_Account, 1000+i, "replayed", "")
						body = strings.Replace(body, `"`+req.MsgKey+`"`, `"`+key+`"`, 1)
					}
					header := http.Header{}
					for _, h := range c.Headers {
						switch http.CanonicalHeaderKey(h[0]) {
						case "Host", "Content-Length":
							continue
						}
						header.Add(h[0], h[1])
					}
					u := n.URL + c.Path + "?" + withUserSig(c.RawQuery, n.Sig(t, parleytest.Admin))
					call := "#" + command + " " + abbrev(body)
					r := envelopeOf(t, call, do(t, n, c.Method, u, []byte(body), header))
					wantCode(t, call, r, 0)
					replayed[command]++

					// What the command did.
					switch command {
					case "openim/admin_msgwithdraw":
						m := findMsg(t, historyOf(t, n, req.To_Account, req.From_Account), key)
						if m.MsgFlagBits != 8 {
							t.Errorf("%s: the message has MsgFlagBits %d, want 8", call, m.MsgFlagBits)
						}
					case "openim/modify_c2c_msg":
						m := findMsg(t, historyOf(t, n, req.To_Account, req.From_Account), key)
						if string(m.MsgBody) != string(req.MsgBody) || req.CloudCustomData != nil && m.CloudCustomData != *req.CloudCustomData {
							t.Errorf("%s: history shows %s %q, want the captured MsgBody and CloudCustomData", call, m.MsgBody, m.CloudCustomData)
						}
					case "openim/get_c2c_unread_msg_num":
						var a unreadAnswer
						r.Decode(t, &a)
						if a.C2CUnreadMsgNumList == nil || a.ErrorList != nil {
							t.Errorf("%s: answer %s, want a count for every (imported) peer", call, r.Raw)
						}
					}
				}
				for _, cmd := range []string{"openim/admin_msgwithdraw", "openim/admin_set_msg_read", "openim/get_c2c_unread_msg_num"} {
					if replayed[cmd] == 0 {
						t.Errorf("%s has no capture of %s", file, cmd)
					}
				}
			})
		})
	}
}

// TestLifecycleCommandsNeedAdmin checks that every lifecycle and
// conversation command refuses a caller that is not an app admin with its
// service's code, before doing anything, and that unknown commands of the
// extension and recent-contact services are 60009.
func TestLifecycleCommandsNeedAdmin(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	key := sendText(t, n, "alice", "bob", 1, "hi", `,"SupportMessageExtension":1,"IsNeedReadReceipt":1`)
	ref := msgRef("alice", "bob", key, "")
	tests := []struct {
		command, body string
		want          int
	}{
		{"openim/admin_msgwithdraw", ref, 90009},
		{"openim/modify_c2c_msg", msgRef("alice", "bob", key, ccd("changed")), 90009},
		{"openim/admin_set_msg_read", `{"Report_Account":"bob","Peer_Account":"alice"}`, 90009},
		{"openim/get_c2c_unread_msg_num", `{"To_Account":"bob"}`, 90009},
		{"openim/delete_c2c_msg_ramble", rambleBody("bob", "alice", []string{key}), 90009},
		{"openim/c2c_msg_read_receipt", receiptBody("bob", "alice", "alice", "bob", key), 90009},
		{"openim_msg_ext_http_svc/set_key_values", extBody(key, 1, []kv{{Key: "k", Value: "v"}}), 10007},
		{"openim_msg_ext_http_svc/get_key_values", ref, 10007},
		{"recentcontact/get_list", `{"From_Account":"bob","AssistFlags":7}`, 50003},
		{"recentcontact/delete", `{"From_Account":"bob","Type":1,"To_Account":"alice","ClearRamble":1}`, 50003},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			q := adminQuery(t, n)
			q["identifier"], q["usersig"] = "alice", n.Sig(t, "alice")
			wantCode(t, tt.command+" as alice", n.Post(t, commandURL(n, tt.command, q), tt.body), tt.want)
		})
	}
	// Nothing the refused calls asked for happened.
	m := findMsg(t, historyOf(t, n, "bob", "alice"), key)
	if m.MsgFlagBits != 0 || m.CloudCustomData != "" || m.IsPeerRead != 0 {
		t.Errorf("the message after the refused calls: %+v, want it untouched", m)
	}
	wantUnread(t, n, "bob", "alice", 1, 1)
	if got := listed(contacts(t, n, "bob", 0)); got != conv("alice", 0) {
		t.Errorf("bob's list after the refused calls: %s, want %s", got, conv("alice", 0))
	}
	if a := getKV(t, n, key, 0); len(a.ExtensionList) != 0 {
		t.Errorf("extensions after the refused set: [%s], want none", pairs(a.ExtensionList))
	}

	for _, command := range []string{"openim_msg_ext_http_svc/no_such_command", "recentcontact/create_contact_group"} {
		timCode(t, n, command, `{}`, 60009)
	}
}
