package gateway_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/gateway"
	"github.com/parleyim/parley/internal/parleytest"
)

// Presence as REST reports it: query_online_status and querystate.

type userStatus struct {
	ToAccount string `json:"To_Account"`
	Status    string `json:"Status"`
	State     string `json:"State"`
	Detail    []struct {
		Platform string `json:"Platform"`
		Status   string `json:"Status"`
	} `json:"Detail"`
}

// details returns "Platform:Status" of each device, sorted.
func (u userStatus) details() []string {
	var out []string
	for _, d := range u.Detail {
		out = append(out, d.Platform+":"+d.Status)
	}
	slices.Sort(out)
	return out
}

type statusAnswer struct {
	QueryResult []userStatus `json:"QueryResult"`
	ErrorList   []struct {
		ToAccount string `json:"To_Account"`
		ErrorCode int    `json:"ErrorCode"`
	} `json:"ErrorList"`
}

// status asks query_online_status (with detail) about one user.
func status(t *testing.T, n *parleytest.Node, user string) userStatus {
	t.Helper()
	var a statusAnswer
	n.MustTIM(t, "openim/query_online_status", fmt.Sprintf(`{"To_Account":[%q],"IsNeedDetail":1}`, user)).Decode(t, &a)
	if len(a.QueryResult) != 1 {
		t.Fatalf("query_online_status %s: %+v, want one result", user, a)
	}
	return a.QueryResult[0]
}

func TestPresence(t *testing.T) {
	n := parleytest.Start(t)
	n.ImportAccounts(t, "alice", "bob", "carol")
	if s := status(t, n, "bob"); s.Status != "Offline" || len(s.Detail) != 0 {
		t.Errorf("before login: %+v, want Offline without devices", s)
	}
	phone := n.Dial(t, "bob", parleytest.DialOptions{Platform: "iPhone", PushToken: "apns-token", Device: "phone-1"})
	web := n.Dial(t, "bob", parleytest.DialOptions{Platform: "Web"})
	s := status(t, n, "bob")
	if s.Status != "Online" || !slices.Equal(s.details(), []string{"Web:Online", "iPhone:Online"}) {
		t.Errorf("two devices: %+v %v, want Online with iPhone and Web online", s, s.details())
	}

	// querystate says State and always lists the devices; unknown accounts
	// are in ErrorList with 70107.
	var a statusAnswer
	n.MustTIM(t, "openim/querystate", `{"To_Account":["bob","carol","nobody"]}`).Decode(t, &a)
	if len(a.QueryResult) != 2 || a.QueryResult[0].State != "Online" || a.QueryResult[1].State != "Offline" || len(a.QueryResult[0].Detail) != 2 {
		t.Errorf("querystate results %+v, want bob Online (2 devices), carol Offline", a.QueryResult)
	}
	if len(a.ErrorList) != 1 || a.ErrorList[0].ToAccount != "nobody" || a.ErrorList[0].ErrorCode != 70107 {
		t.Errorf("querystate ErrorList %+v, want nobody with 70107", a.ErrorList)
	}
	r := n.TIM(t, "openim/query_online_status", `{"To_Account":["nobody"]}`)
	if r.ErrorCode != 70107 {
		t.Errorf("query_online_status of unknown accounts only: ErrorCode %d, want 70107", r.ErrorCode)
	}

	// The web device leaves: only the phone is online.
	web.Close()
	eventually(t, "web device gone", func() bool {
		return slices.Equal(status(t, n, "bob").details(), []string{"iPhone:Online"})
	})
	// The phone (registered for push) leaves: bob is PushOnline.
	phone.Close()
	eventually(t, "phone push-online", func() bool {
		s := status(t, n, "bob")
		return s.Status == "PushOnline" && slices.Equal(s.details(), []string{"iPhone:PushOnline"})
	})
	// The same phone coming back is one device again, online, and gets
	// messages live.
	phone = n.Dial(t, "bob", parleytest.DialOptions{Platform: "iPhone", PushToken: "apns-token", Device: "phone-1"})
	if s := status(t, n, "bob"); s.Status != "Online" || !slices.Equal(s.details(), []string{"iPhone:Online"}) {
		t.Errorf("phone back: %+v %v, want only iPhone:Online", s, s.details())
	}
	sendText(t, n, "alice", "bob", "still there?", "")
	nextText(t, phone, "still there?")
	phone.Close()
	eventually(t, "phone push-online again", func() bool { return status(t, n, "bob").Status == "PushOnline" })

	// A device of a user that only shows PushOnline gets messages live.
	pc := n.Dial(t, "bob", parleytest.DialOptions{Platform: "PC"})
	sendText(t, n, "alice", "bob", "live", "")
	nextText(t, pc, "live")
	if s := status(t, n, "bob"); s.Status != "Online" || !slices.Equal(s.details(), []string{"PC:Online", "iPhone:PushOnline"}) {
		t.Errorf("pc online, phone push: %+v %v", s, s.details())
	}
}

func TestPushOnlineExpires(t *testing.T) {
	clock := parleytest.NewClock(time.Now().Truncate(time.Second))
	n := parleytest.Start(t, parleytest.Options{Clock: clock, Gateway: gateway.Config{PushOnlineFor: time.Hour}})
	n.ImportAccounts(t, "bob")
	phone := n.Dial(t, "bob", parleytest.DialOptions{Platform: "Android", PushToken: "fcm"})
	phone.Close()
	eventually(t, "push-online", func() bool { return status(t, n, "bob").Status == "PushOnline" })
	clock.Advance(2 * time.Hour)
	if s := status(t, n, "bob"); s.Status != "Offline" || len(s.Detail) != 0 {
		t.Errorf("after PushOnlineFor: %+v, want Offline", s)
	}
	// Without a push token a device that leaves is simply offline.
	web := n.Dial(t, "bob", parleytest.DialOptions{Platform: "Web"})
	web.Close()
	eventually(t, "offline", func() bool { return status(t, n, "bob").Status == "Offline" })
}

func TestQueryOnlineStatusMany(t *testing.T) {
	n := parleytest.Start(t)
	users := make([]string, 20)
	for i := range users {
		users[i] = fmt.Sprintf("u%02d", i)
	}
	n.ImportAccounts(t, users...)
	for _, u := range users[:10] {
		n.Dial(t, u, parleytest.DialOptions{Platform: "Android"})
	}
	var a statusAnswer
	n.MustTIM(t, "openim/query_online_status", `{"To_Account":["`+strings.Join(users, `","`)+`"]}`).Decode(t, &a)
	if len(a.QueryResult) != 20 {
		t.Fatalf("%d results, want 20", len(a.QueryResult))
	}
	for i, r := range a.QueryResult {
		want := "Offline"
		if i < 10 {
			want = "Online"
		}
		if r.ToAccount != users[i] || r.Status != want || r.Detail != nil {
			t.Errorf("result %d = %+v, want %s %s without Detail", i, r, users[i], want)
		}
	}
}
