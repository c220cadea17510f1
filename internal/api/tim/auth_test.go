package tim_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/internal/parleytest"
)

// otherKey signs UserSigs that the node must refuse as forged.
const otherKey = "0000000000000000000000000000000000000000000000000000000000000000"

func TestQueryAndSignatureErrors(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	clock := parleytest.NewClock(start)
	n := parleytest.Start(t, parleytest.Options{Clock: clock})
	n.ImportAccounts(t, "alice")
	app := fmt.Sprint(parleytest.AppID)
	admin := parleytest.Admin
	good := genSig(t, parleytest.AppID, parleytest.Key, admin, 86400, start)

	tests := []struct {
		name  string
		query map[string]string // nil values are left out
		want  int
	}{
		{"valid", map[string]string{"sdkappid": app, "identifier": admin, "usersig": good}, 0},
		{"missing sdkappid", map[string]string{"identifier": admin, "usersig": good}, 60012},
		{"non-numeric sdkappid", map[string]string{"sdkappid": "14000x", "identifier": admin, "usersig": good}, 60006},
		{"negative sdkappid", map[string]string{"sdkappid": "-1", "identifier": admin, "usersig": good}, 60006},
		{"unknown sdkappid", map[string]string{"sdkappid": "1400000002", "identifier": admin, "usersig": good}, 70020},
		{"missing identifier", map[string]string{"sdkappid": app, "usersig": good}, 60004},
		{"missing usersig", map[string]string{"sdkappid": app, "identifier": admin}, 70002},
		{"garbage usersig", map[string]string{"sdkappid": app, "identifier": admin, "usersig": "not-a-usersig"}, 70003},
		{"truncated usersig", map[string]string{"sdkappid": app, "identifier": admin, "usersig": good[:len(good)/2]}, 70003},
		{"expired usersig", map[string]string{"sdkappid": app, "identifier": admin,
			"usersig": genSig(t, parleytest.AppID, parleytest.Key, admin, 60, start.Add(-2*time.Minute))}, 70001},
		{"usersig signed with another key", map[string]string{"sdkappid": app, "identifier": admin,
			"usersig": genSig(t, parleytest.AppID, otherKey, admin, 86400, start)}, 70009},
		{"usersig of another identifier", map[string]string{"sdkappid": app, "identifier": admin,
			"usersig": genSig(t, parleytest.AppID, parleytest.Key, "alice", 86400, start)}, 70013},
		{"usersig of another sdkappid", map[string]string{"sdkappid": app, "identifier": admin,
			"usersig": genSig(t, 1400000002, parleytest.Key, admin, 86400, start)}, 70014},
		{"contenttype xml", map[string]string{"sdkappid": app, "identifier": admin, "usersig": good, "contenttype": "xml"}, 60002},
	}
	// Members present but empty, and case-sensitive names, written raw.
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"sdkappid=" + app + "&identifier=" + admin + "&usersig=&random=1&contenttype=json", 70002},
		{"sdkappid=" + app + "&identifier=&usersig=" + good, 60004},
		{"sdkappid=&identifier=" + admin + "&usersig=" + good, 60012},
		{"SDKAppID=" + app + "&identifier=" + admin + "&usersig=" + good, 60012},
		{"sdkappid=" + app + "&Identifier=" + admin + "&usersig=" + good, 60004},
		{"sdkappid=" + app + "&identifier=" + admin + "&UserSig=" + good, 70002},
		{"sdkappid=" + app + "&identifier=" + admin + "&usersig=" + good + "&contenttype=json", 0},
	} {
		u := n.URL + "/v4/openim/query_online_status?" + tt.query
		r := envelopeOf(t, "POST "+u, do(t, n, http.MethodPost, u, []byte(`{"To_Account":["alice"]}`), nil))
		wantCode(t, "POST ?"+abbrev(tt.query), r, tt.want)
	}

	// Each case runs against a command of both families: the query checks
	// come before the command, so the codes are the same.
	for _, command := range []string{"openim/query_online_status", "im_open_login_svc/account_check"} {
		body := `{"To_Account":["alice"]}`
		if command == "im_open_login_svc/account_check" {
			body = `{"CheckItem":[{"UserID":"alice"}]}`
		}
		for _, tt := range tests {
			t.Run(command+"/"+tt.name, func(t *testing.T) {
				u := commandURL(n, command, tt.query)
				r := envelopeOf(t, "POST "+u, do(t, n, http.MethodPost, u, []byte(body), nil))
				wantCode(t, "POST "+command+" ("+tt.name+")", r, tt.want)
			})
		}
	}
}

func TestExpiryFollowsTheClock(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	clock := parleytest.NewClock(start)
	n := parleytest.Start(t, parleytest.Options{Clock: clock})
	q := adminQuery(t, n)
	q["usersig"] = genSig(t, parleytest.AppID, parleytest.Key, parleytest.Admin, 3600, start)
	u := commandURL(n, "im_open_login_svc/account_check", q)
	body := []byte(`{"CheckItem":[{"UserID":"administrator"}]}`)

	// Valid up to and including TLS.time + TLS.expire, then refused; the
	// verifier's cache must not keep it alive.
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{{0, 0}, {3600 * time.Second, 0}, {time.Second, 70001}} {
		clock.Advance(step.advance)
		r := envelopeOf(t, "account_check", do(t, n, http.MethodPost, u, body, nil))
		wantCode(t, fmt.Sprintf("account_check at start+%v", clock.Now().Sub(start)), r, step.want)
	}
}

func TestNonAdminIdentifier(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob")
	tests := []struct {
		command, body string
		want          int
	}{
		{"openim/sendmsg", `{"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgBody":` + textBody("x") + `}`, 90009},
		{"openim/batchsendmsg", `{"To_Account":["bob"],"MsgRandom":1,"MsgBody":` + textBody("x") + `}`, 90009},
		{"openim/importmsg", `{}`, 90009},
		{"openim/admin_getroammsg", `{}`, 90009},
		{"openim/query_online_status", `{"To_Account":["bob"]}`, 90009},
		{"openim/querystate", `{"To_Account":["bob"]}`, 90009},
		{"im_open_login_svc/account_import", `{"UserID":"carol"}`, 70403},
		{"im_open_login_svc/multiaccount_import", `{"Accounts":["carol"]}`, 70403},
		{"im_open_login_svc/account_delete", `{"DeleteItem":[{"UserID":"bob"}]}`, 70403},
		{"im_open_login_svc/account_check", `{"CheckItem":[{"UserID":"bob"}]}`, 70403},
		{"im_open_login_svc/kick", `{"UserID":"bob"}`, 70403},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			q := adminQuery(t, n)
			q["identifier"], q["usersig"] = "alice", n.Sig(t, "alice")
			r := n.Post(t, commandURL(n, tt.command, q), tt.body)
			wantCode(t, tt.command+" as alice", r, tt.want)
		})
	}
	// Nothing the refused calls asked for happened.
	if got := accountStatus(t, n, "carol"); got != "NotImported" {
		t.Errorf("carol after refused imports: %s, want NotImported", got)
	}
	if got := accountStatus(t, n, "bob"); got != "Imported" {
		t.Errorf("bob after refused delete: %s, want Imported", got)
	}
	if h := historyOf(t, n, "bob", "alice"); len(h) != 0 {
		t.Errorf("bob's history after refused sends: %v, want none", keys(h))
	}
}

func TestKick(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	clock := parleytest.NewClock(start)
	n := parleytest.Start(t, parleytest.Options{Clock: clock})
	n.ImportAccounts(t, "alice")
	app := core.AppID(parleytest.AppID)

	aliceURL := func() string {
		q := adminQuery(t, n)
		q["identifier"], q["usersig"] = "alice", n.Sig(t, "alice")
		return commandURL(n, "openim/query_online_status", q)
	}
	body := `{"To_Account":["alice"]}`
	oldAlice := aliceURL()
	oldAdmin := n.AdminURL(t, "openim/query_online_status")
	// Before the kick alice's UserSig authenticates (and she is then refused
	// as a non-admin) and the admin's works.
	wantCode(t, "alice's UserSig before the kick", n.Post(t, oldAlice, body), 90009)
	wantCode(t, "admin's UserSig before the kick", n.Post(t, oldAdmin, body), 0)

	clock.Advance(time.Second)
	timCode(t, n, "im_open_login_svc/kick", `{"UserID":"alice"}`, 0)
	if n.Service.SignatureStillValid(app, "alice", start.Unix()) {
		t.Errorf("SignatureStillValid(alice, generated before the kick) = true, want false")
	}
	if !n.Service.SignatureStillValid(app, "alice", clock.Now().Unix()) {
		t.Errorf("SignatureStillValid(alice, generated at the kick) = false, want true")
	}
	wantCode(t, "alice's UserSig from before the kick", n.Post(t, oldAlice, body), 70001)
	wantCode(t, "alice's UserSig from after the kick", n.Post(t, aliceURL(), body), 90009)

	// The legacy member name, applied to the admin itself: its old UserSig
	// stops working, a new one works.
	clock.Advance(time.Second)
	timCode(t, n, "im_open_login_svc/kick", `{"Identifier":"administrator"}`, 0)
	wantCode(t, "admin's UserSig from before its kick", n.Post(t, oldAdmin, body), 70001)
	timCode(t, n, "openim/query_online_status", body, 0)

	timCode(t, n, "im_open_login_svc/kick", `{"UserID":"nobody"}`, 70107)
	timCode(t, n, "im_open_login_svc/kick", `{}`, 70402)
	timCode(t, n, "im_open_login_svc/kick", `{"UserID":7}`, 60015)
}

func TestUnknownCommandAndMethod(t *testing.T) {
	n := parleytest.Start(t)
	for _, command := range []string{"openim/nosuchcommand", "im_open_login_svc/nosuch", "nosuchsvc/x", "openim", ""} {
		u := n.AdminURL(t, command)
		r := envelopeOf(t, "POST "+command, do(t, n, http.MethodPost, u, []byte(`{}`), nil))
		wantCode(t, "POST /v4/"+command, r, 60009)
	}
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		u := n.AdminURL(t, "openim/sendmsg")
		r := envelopeOf(t, method+" sendmsg", do(t, n, method, u, nil, nil))
		if r.ErrorCode == 0 || r.ActionStatus != "FAIL" {
			t.Errorf("%s sendmsg: ActionStatus %q ErrorCode %d, want a FAIL envelope", method, r.ActionStatus, r.ErrorCode)
		}
	}
}
