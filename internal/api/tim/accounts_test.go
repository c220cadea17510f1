package tim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/parleyim/parley/internal/parleytest"
)

func TestAccountImport(t *testing.T) {
	n := parleytest.Start(t)
	long := strings.Repeat("n", 501)
	tests := []struct {
		name, body string
		want       int
		imported   string // an account that must exist afterwards
	}{
		{"UserID", `{"UserID":"u1","Nick":"One","FaceUrl":"http://x/1.png"}`, 0, "u1"},
		{"legacy Identifier", `{"Identifier":"u2","Nick":"Two"}`, 0, "u2"},
		{"legacy Type", `{"UserID":"robot","Type":1}`, 0, "robot"},
		{"re-import is idempotent", `{"UserID":"u1","Nick":"One again"}`, 0, "u1"},
		{"32-byte UserID", `{"UserID":"` + strings.Repeat("a", 32) + `"}`, 0, strings.Repeat("a", 32)},
		{"printable ASCII UserID", `{"UserID":" ~!@#$%^&*()_+-=[]{}|;':,./<>?"}`, 0, " ~!@#$%^&*()_+-=[]{}|;':,./<>?"},
		{"Nick of 500 bytes", `{"UserID":"u3","Nick":"` + long[:500] + `"}`, 0, "u3"},
		{"Nick over 500 bytes", `{"UserID":"u4","Nick":"` + long + `"}`, 40601, ""},
		{"FaceUrl over 500 bytes", `{"UserID":"u4","FaceUrl":"` + long + `"}`, 40601, ""},
		{"UserID over 32 bytes", `{"UserID":"` + strings.Repeat("a", 33) + `"}`, 70402, ""},
		{"UserID with a control byte", `{"UserID":"a\u0001b"}`, 70402, ""},
		{"UserID with non-ASCII", `{"UserID":"用户"}`, 70402, ""},
		{"UserID with DEL", `{"UserID":"a\u007f"}`, 70402, ""},
		{"empty UserID", `{"UserID":""}`, 70402, ""},
		{"no UserID", `{"Nick":"x"}`, 70402, ""},
		{"UserID a number", `{"UserID":42}`, 60015, ""},
		{"UserID an array", `{"UserID":["a"]}`, 60015, ""},
		{"Identifier a number", `{"Identifier":42}`, 60015, ""},
		{"UserID null", `{"UserID":null}`, 70402, ""},
		{"Nick a number", `{"UserID":"u5","Nick":5}`, 70402, ""},
		{"member names are case-sensitive", `{"userid":"u6"}`, 70402, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timCode(t, n, "im_open_login_svc/account_import", tt.body, tt.want)
			if tt.imported != "" {
				if got := accountStatus(t, n, tt.imported); got != "Imported" {
					t.Errorf("account_check %q after %s: %s, want Imported", tt.imported, tt.body, got)
				}
			}
		})
	}
	for _, id := range []string{"u4", "u5", "u6", "a\x01b", ""} {
		if id == "" {
			continue
		}
		if got := accountStatus(t, n, id); got != "NotImported" {
			t.Errorf("account_check %q after refused imports: %s, want NotImported", id, got)
		}
	}
}

func TestMultiAccountImport(t *testing.T) {
	n := parleytest.Start(t)
	many := func(count int) string {
		ids := make([]string, count)
		for i := range ids {
			ids[i] = fmt.Sprintf("m%d", i)
		}
		b, _ := json.Marshal(ids)
		return string(b)
	}
	tests := []struct {
		name, body string
		want       int
		fail       []string // FailAccounts, when want is 0
		imported   []string
	}{
		{"Accounts", `{"Accounts":["a1","a2"]}`, 0, []string{}, []string{"a1", "a2"}},
		{"AccountList", `{"AccountList":[{"UserID":"b1","Nick":"B1","FaceUrl":"http://x"},{"UserID":"b2"}]}`, 0, []string{}, []string{"b1", "b2"}},
		{"both lists", `{"Accounts":["c1"],"AccountList":[{"UserID":"c2"}]}`, 0, []string{}, []string{"c1", "c2"}},
		{"invalid ids are listed", `{"Accounts":["d1","","` + strings.Repeat("x", 33) + `","d\u0002","d2"]}`, 0,
			[]string{"", strings.Repeat("x", 33), "d\x02"}, []string{"d1", "d2"}},
		{"oversize Nick is listed", `{"AccountList":[{"UserID":"e1","Nick":"` + strings.Repeat("n", 501) + `"},{"UserID":"e2"}]}`, 0,
			[]string{"e1"}, []string{"e2"}},
		{"re-import", `{"Accounts":["a1","a1"]}`, 0, []string{}, []string{"a1"}},
		{"100 accounts", `{"Accounts":` + many(100) + `}`, 0, []string{}, []string{"m0", "m99"}},
		{"101 accounts", `{"Accounts":` + strings.Replace(many(101), `"m0"`, `"z0"`, 1) + `}`, 70206, nil, nil},
		{"empty Accounts", `{"Accounts":[]}`, 70402, nil, nil},
		{"no list", `{}`, 70402, nil, nil},
		{"Accounts not an array", `{"Accounts":"a1"}`, 60015, nil, nil},
		{"Accounts item a number", `{"Accounts":[1]}`, 60015, nil, nil},
		{"AccountList item without UserID", `{"AccountList":[{"Nick":"x"}]}`, 70402, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := timCode(t, n, "im_open_login_svc/multiaccount_import", tt.body, tt.want)
			if tt.want != 0 {
				return
			}
			var a struct{ FailAccounts []string }
			r.Decode(t, &a)
			if a.FailAccounts == nil || !slices.Equal(a.FailAccounts, tt.fail) {
				t.Errorf("multiaccount_import %s: FailAccounts %q, want %q (as an array)", abbrev(tt.body), a.FailAccounts, tt.fail)
			}
			for _, id := range tt.imported {
				if got := accountStatus(t, n, id); got != "Imported" {
					t.Errorf("account_check %q: %s, want Imported", id, got)
				}
			}
		})
	}
	if got := accountStatus(t, n, "z0"); got != "NotImported" {
		t.Errorf("account_check z0 after a refused batch of 101: %s, want NotImported", got)
	}
}

type resultItem struct {
	UserID        string
	ResultCode    int
	ResultInfo    string
	AccountStatus *string
}

func TestAccountDeleteAndCheck(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")

	check := func(ids ...string) []resultItem {
		t.Helper()
		items := make([]map[string]string, len(ids))
		for i, id := range ids {
			items[i] = map[string]string{"UserID": id}
		}
		b, _ := json.Marshal(map[string]any{"CheckItem": items})
		var a struct{ ResultItem []resultItem }
		n.MustTIM(t, "im_open_login_svc/account_check", string(b)).Decode(t, &a)
		return a.ResultItem
	}
	status := func(items []resultItem) []string {
		var out []string
		for _, it := range items {
			s := "<absent>"
			if it.AccountStatus != nil {
				s = *it.AccountStatus
			}
			out = append(out, it.UserID+"="+s)
			if it.ResultCode != 0 {
				t.Errorf("account_check item %s: ResultCode %d, want 0", it.UserID, it.ResultCode)
			}
		}
		return out
	}
	want := []string{"alice=Imported", "nobody=NotImported", "bob=Imported"}
	if got := status(check("alice", "nobody", "bob")); !slices.Equal(got, want) {
		t.Errorf("account_check before delete: %q, want %q", got, want)
	}

	r := n.MustTIM(t, "im_open_login_svc/account_delete", `{"DeleteItem":[{"UserID":"alice"},{"UserID":"nobody"}]}`)
	var del struct{ ResultItem []resultItem }
	r.Decode(t, &del)
	wantDel := []resultItem{
		{UserID: "alice", ResultCode: 0, ResultInfo: ""},
		{UserID: "nobody", ResultCode: 70107, ResultInfo: "Err_TLS_PT_Open_Login_Account_Not_Exist"},
	}
	if len(del.ResultItem) != len(wantDel) {
		t.Fatalf("account_delete: ResultItem %+v, want %+v", del.ResultItem, wantDel)
	}
	for i, w := range wantDel {
		g := del.ResultItem[i]
		if g.UserID != w.UserID || g.ResultCode != w.ResultCode || g.ResultInfo != w.ResultInfo || g.AccountStatus != nil {
			t.Errorf("account_delete item %d: %+v, want %+v and no AccountStatus", i, g, w)
		}
	}

	want = []string{"alice=NotImported", "bob=Imported"}
	if got := status(check("alice", "bob")); !slices.Equal(got, want) {
		t.Errorf("account_check after delete: %q, want %q", got, want)
	}
	// A deleted account can no longer send or receive.
	timCode(t, n, "openim/sendmsg", `{"From_Account":"bob","To_Account":"alice","MsgRandom":1,"MsgBody":`+textBody("x")+`}`, 90012)

	hundredOne := make([]map[string]string, 101)
	for i := range hundredOne {
		hundredOne[i] = map[string]string{"UserID": fmt.Sprint("u", i)}
	}
	b, _ := json.Marshal(map[string]any{"DeleteItem": hundredOne})
	for _, tt := range []struct {
		command, body string
		want          int
	}{
		{"account_delete", `{"DeleteItem":[]}`, 70402},
		{"account_delete", `{}`, 70402},
		{"account_delete", `{"DeleteItem":[{"Nick":"x"}]}`, 70402},
		{"account_delete", `{"DeleteItem":"alice"}`, 70402},
		{"account_delete", string(b), 70206},
		{"account_check", `{"CheckItem":[]}`, 70402},
		{"account_check", `{"CheckItem":[{"UserID":5}]}`, 70402},
		{"account_check", strings.Replace(string(b), "DeleteItem", "CheckItem", 1), 70206},
	} {
		timCode(t, n, "im_open_login_svc/"+tt.command, tt.body, tt.want)
	}
}

func TestQueryOnlineStatus(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")

	type item struct {
		To_Account string
		Status     *string
		State      *string
		Detail     *[]struct{ Platform, Status string }
	}
	type answer struct {
		QueryResult []item
		ErrorList   *[]struct {
			To_Account string
			ErrorCode  int
		}
	}
	describe := func(a answer, detailWanted bool, field string) []string {
		var out []string
		for _, it := range a.QueryResult {
			var s *string
			other := it.State
			if field == "State" {
				s, other = it.State, it.Status
			} else {
				s = it.Status
			}
			v := "<absent>"
			if s != nil {
				v = *s
			}
			out = append(out, it.To_Account+"="+v)
			if other != nil {
				t.Errorf("%s item %s has both Status and State", field, it.To_Account)
			}
			if (it.Detail != nil) != detailWanted {
				t.Errorf("item %s: Detail present %v, want %v", it.To_Account, it.Detail != nil, detailWanted)
			}
		}
		if a.ErrorList != nil {
			for _, e := range *a.ErrorList {
				out = append(out, fmt.Sprintf("%s!%d", e.To_Account, e.ErrorCode))
			}
		}
		return out
	}

	tests := []struct {
		command, body string
		detail        bool
		field         string
		want          []string
	}{
		{"query_online_status", `{"To_Account":["alice","bob"]}`, false, "Status", []string{"alice=Offline", "bob=Offline"}},
		{"query_online_status", `{"To_Account":["alice"],"IsNeedDetail":0}`, false, "Status", []string{"alice=Offline"}},
		{"query_online_status", `{"To_Account":["alice","ghost"],"IsNeedDetail":1}`, true, "Status", []string{"alice=Offline", "ghost!70107"}},
		{"querystate", `{"To_Account":["bob","ghost"]}`, true, "State", []string{"bob=Offline", "ghost!70107"}},
	}
	for _, tt := range tests {
		t.Run(tt.command+" "+tt.body, func(t *testing.T) {
			r := timCode(t, n, "openim/"+tt.command, tt.body, 0)
			var a answer
			r.Decode(t, &a)
			if a.ErrorList == nil {
				t.Errorf("%s %s: no ErrorList array in %s", tt.command, tt.body, r.Raw)
			}
			if got := describe(a, tt.detail, tt.field); !slices.Equal(got, tt.want) {
				t.Errorf("%s %s: %q, want %q", tt.command, tt.body, got, tt.want)
			}
		})
	}

	ids := make([]string, 501)
	for i := range ids {
		ids[i] = "alice"
	}
	over, _ := json.Marshal(map[string]any{"To_Account": ids})
	exact, _ := json.Marshal(map[string]any{"To_Account": ids[:500]})
	for _, command := range []string{"openim/query_online_status", "openim/querystate"} {
		timCode(t, n, command, string(exact), 0)
		timCode(t, n, command, string(over), 90011)
		timCode(t, n, command, `{"To_Account":[]}`, 90001)
		timCode(t, n, command, `{}`, 90001)
		timCode(t, n, command, `{"To_Account":"alice"}`, 90003)
		timCode(t, n, command, `{"To_Account":[1]}`, 90003)
	}
	// Every account unknown: the current behaviour is a FAIL envelope with
	// the ErrorList (the reference only says 0 when one succeeded).
	r := n.TIM(t, "openim/query_online_status", `{"To_Account":["ghost"]}`)
	var all map[string]jsontext.Value
	r.Decode(t, &all)
	if r.ErrorCode != 70107 || string(all["ErrorList"]) != `[{"To_Account":"ghost","ErrorCode":70107}]` {
		t.Errorf("query_online_status of an unknown account: %s, want ErrorCode 70107 and its ErrorList", r.Raw)
	}
}
