package tim_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyim/parley/internal/parleytest"
)

// t0 is the stopped clock most message tests run at.
const t0 = 1_800_000_000

// sendFrom returns a sendmsg body from alice to bob with body and extra
// members (a JSON fragment starting with a comma, or "").
func sendFrom(from, to string, random int, msgBody, extra string) string {
	return fmt.Sprintf(`{"From_Account":%q,"To_Account":%q,"MsgRandom":%d,"MsgBody":%s%s}`, from, to, random, msgBody, extra)
}

func TestSendMsgSyncOtherMachine(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	tests := []struct {
		name           string
		extra          string
		sender, recver bool // whose history shows the message
	}{
		{"absent", ``, true, true},
		{"0", `,"SyncOtherMachine":0`, true, true},
		{"1 both", `,"SyncOtherMachine":1`, true, true},
		{"2 not to the sender", `,"SyncOtherMachine":2`, false, true},
		{"3 not to the receiver", `,"SyncOtherMachine":3`, true, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, n, sendFrom("alice", "bob", 100+i, textBody(tt.name), tt.extra))
			for _, side := range []struct {
				owner, peer string
				want        bool
			}{{"alice", "bob", tt.sender}, {"bob", "alice", tt.recver}} {
				got := slices.Contains(keys(historyOf(t, n, side.owner, side.peer)), a.MsgKey)
				if got != side.want {
					t.Errorf("SyncOtherMachine %s: %s's history has %s: %v, want %v", tt.name, side.owner, a.MsgKey, got, side.want)
				}
			}
		})
	}
	for _, bad := range []string{`4`, `-1`, `"1"`, `1.5`, `true`, `[1]`} {
		timCode(t, n, "openim/sendmsg", sendFrom("alice", "bob", 1, textBody("x"), `,"SyncOtherMachine":`+bad), 90031)
	}
}

// TestSendMsgSeedExamples sends the four request examples of the sendmsg
// page (seed 000) and checks each side's history.
func TestSendMsgSeedExamples(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "lumotuwe1", "lumotuwe2")
	admin := parleytest.Admin
	tests := []struct {
		name, body   string
		from         string
		inFrom, inTo bool // stored in the sender's / receiver's history
		seq, random  uint32
		customData   string
	}{
		{"admin to account, not synced to the sender",
			`{"SyncOtherMachine": 2,"To_Account": "lumotuwe2","MsgSeq": 93847636,"MsgRandom": 1287657,"MsgBody": [{"MsgType": "TIMTextElem","MsgContent": {"Text": "hi, beauty"}}],"CloudCustomData": "your cloud custom data","SupportMessageExtension": 0}`,
			admin, false, true, 93847636, 1287657, "your cloud custom data"},
		{"admin to account, callbacks forbidden",
			`{"SyncOtherMachine": 2,"To_Account": "lumotuwe2","MsgSeq": 93847637,"MsgRandom": 1287657,"ForbidCallbackControl":["ForbidBeforeSendMsgCallback","ForbidAfterSendMsgCallback"],"MsgBody": [{"MsgType": "TIMTextElem","MsgContent": {"Text": "hi, beauty"}}],"CloudCustomData": "your cloud custom data"}`,
			admin, false, true, 93847637, 1287657, "your cloud custom data"},
		{"account to account with offline push info",
			`{"SyncOtherMachine": 2,"From_Account": "lumotuwe1","To_Account": "lumotuwe2","MsgSeq": 93847636,"MsgRandom": 1287657,"MsgBody": [{"MsgType": "TIMTextElem","MsgContent": {"Text": "hi, beauty"}}],"CloudCustomData": "your cloud custom data","OfflinePushInfo": {"PushFlag": 0,"Desc": "离线推送内容","Ext": "这是透传的内容","AndroidInfo": {"Sound": "android.mp3"},"ApnsInfo": {"Sound": "apns.mp3","BadgeMode": 1,"Title":"apns title","SubTitle":"apns subtitle","Image":"www.image.com"}}}`,
			"lumotuwe1", false, true, 93847636, 1287657, "your cloud custom data"},
		{"online only, synced to the sender",
			`{"SyncOtherMachine": 1,"From_Account": "lumotuwe1","To_Account": "lumotuwe2","OnlineOnlyFlag": 1,"MsgSeq": 93847638,"MsgRandom": 1287657,"MsgBody": [{"MsgType": "TIMTextElem","MsgContent": {"Text": "hi, beauty"}}],"CloudCustomData": "your cloud custom data"}`,
			"lumotuwe1", false, false, 93847638, 1287657, "your cloud custom data"},
		{"every optional member",
			`{"SyncOtherMachine":1,"From_Account":"lumotuwe1","To_Account":"lumotuwe2","MsgLifeTime":604800,"MsgSeq":93847639,"MsgRandom":1287657,"MsgTimeStamp":1800000000,"OnlineOnlyFlag":0,"ForbidCallbackControl":["ForbidBeforeSendMsgCallback"],"SendMsgControl":["NoUnread","NoLastMsg","WithMuteNotifications","NoMsgCheck","SomeFutureWord"],"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"all"}}],"CloudCustomData":"ccd","SupportMessageExtension":1,"OfflinePushInfo":{"PushFlag":1},"IsNeedReadReceipt":1}`,
			"lumotuwe1", true, true, 93847639, 1287657, "ccd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, n, tt.body)
			wantKey := fmt.Sprintf("%d_%d_%d", tt.seq, tt.random, t0)
			if a.MsgKey != wantKey || a.MsgTime != t0 {
				t.Errorf("sendmsg %s: MsgKey %q MsgTime %d, want %q %d", tt.name, a.MsgKey, a.MsgTime, wantKey, t0)
			}
			for _, side := range []struct {
				owner, peer string
				want        bool
			}{{tt.from, "lumotuwe2", tt.inFrom}, {"lumotuwe2", tt.from, tt.inTo}} {
				h := historyOf(t, n, side.owner, side.peer)
				i := slices.Index(keys(h), a.MsgKey)
				if (i >= 0) != side.want {
					t.Errorf("sendmsg %s: %s's history with %s holds %s: %v, want %v", tt.name, side.owner, side.peer, a.MsgKey, i >= 0, side.want)
					continue
				}
				if i >= 0 {
					m := h[i]
					if m.From_Account != tt.from || m.To_Account != "lumotuwe2" || m.CloudCustomData != tt.customData ||
						m.MsgSeq != tt.seq || m.MsgRandom != tt.random || m.MsgTimeStamp != t0 {
						t.Errorf("sendmsg %s: history item %+v, want From %s To lumotuwe2 CloudCustomData %q", tt.name, m, tt.from, tt.customData)
					}
				}
			}
		})
	}
}

func TestSendMsgKeyTimeAndSender(t *testing.T) {
	clock := clockAt(t0)
	n := parleytest.Start(t, parleytest.Options{Clock: clock})
	n.ImportAccounts(t, "alice", "bob")

	// MsgSeq absent: a random one, still {seq}_{random}_{time}.
	keyRE := regexp.MustCompile(`^([0-9]+)_77_1800000000$`)
	a1 := send(t, n, sendFrom("alice", "bob", 77, textBody("a"), ``))
	a2 := send(t, n, sendFrom("alice", "bob", 77, textBody("b"), ``))
	for _, a := range []sendAnswer{a1, a2} {
		if !keyRE.MatchString(a.MsgKey) || a.MsgTime != t0 || len(a.MsgKey) > 50 {
			t.Errorf("sendmsg without MsgSeq: MsgKey %q MsgTime %d, want {seq}_77_%d and %d", a.MsgKey, a.MsgTime, t0, t0)
		}
	}
	if a1.MsgKey == a2.MsgKey {
		t.Errorf("two sendmsg without MsgSeq got the same key %s, want random MsgSeqs", a1.MsgKey)
	}
	if h := historyOf(t, n, "bob", "alice"); len(h) != 2 {
		t.Errorf("bob's history after two sends without MsgSeq: %v, want 2 messages", keys(h))
	}

	// Extreme uint32 values.
	a := send(t, n, sendFrom("alice", "bob", 4294967295, textBody("max"), `,"MsgSeq":4294967295`))
	if want := "4294967295_4294967295_1800000000"; a.MsgKey != want {
		t.Errorf("sendmsg with max MsgSeq and MsgRandom: MsgKey %q, want %q", a.MsgKey, want)
	}
	a = send(t, n, sendFrom("alice", "bob", 0, textBody("zero"), `,"MsgSeq":0`))
	if want := "0_0_1800000000"; a.MsgKey != want {
		t.Errorf("sendmsg with MsgSeq and MsgRandom 0: MsgKey %q, want %q", a.MsgKey, want)
	}

	// MsgTimeStamp is the message's time.
	a = send(t, n, sendFrom("alice", "bob", 5, textBody("dated"), `,"MsgSeq":9,"MsgTimeStamp":1799999000`))
	if a.MsgKey != "9_5_1799999000" || a.MsgTime != 1799999000 {
		t.Errorf("sendmsg with MsgTimeStamp: MsgKey %q MsgTime %d, want 9_5_1799999000 1799999000", a.MsgKey, a.MsgTime)
	}
	h := history(t, n, "bob", "alice", 1799999000, 1799999000)
	if len(h) != 1 || h[0].MsgKey != a.MsgKey || h[0].MsgTimeStamp != 1799999000 {
		t.Errorf("history at 1799999000: %+v, want only %s", h, a.MsgKey)
	}

	// The clock moves: MsgTime follows it.
	clock.Advance(90 * time.Second)
	a = send(t, n, sendFrom("alice", "bob", 6, textBody("later"), `,"MsgSeq":1`))
	if a.MsgKey != fmt.Sprintf("1_6_%d", t0+90) || a.MsgTime != t0+90 {
		t.Errorf("sendmsg after 90 s: MsgKey %q MsgTime %d, want 1_6_%d", a.MsgKey, a.MsgTime, t0+90)
	}

	// From_Account absent: the admin is the sender (imported at start).
	a = send(t, n, `{"To_Account":"bob","MsgRandom":8,"MsgBody":`+textBody("from the admin")+`}`)
	h = historyOf(t, n, "bob", parleytest.Admin)
	if len(h) != 1 || h[0].MsgKey != a.MsgKey || h[0].From_Account != parleytest.Admin || h[0].To_Account != "bob" {
		t.Errorf("bob's history with the admin: %+v, want %s from %s", h, a.MsgKey, parleytest.Admin)
	}
	if got := accountStatus(t, n, parleytest.Admin); got != "Imported" {
		t.Errorf("account_check %s: %s, want Imported", parleytest.Admin, got)
	}
}

func TestSendMsgLifeTimeAndOnlineOnly(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	tests := []struct {
		name   string
		extra  string
		want   int
		stored bool
	}{
		{"MsgLifeTime 0 is online only", `,"MsgLifeTime":0`, 0, false},
		{"OnlineOnlyFlag 1", `,"OnlineOnlyFlag":1`, 0, false},
		{"OnlineOnlyFlag 1 with a lifetime", `,"OnlineOnlyFlag":1,"MsgLifeTime":100`, 0, false},
		{"MsgLifeTime 1", `,"MsgLifeTime":1`, 0, true},
		{"MsgLifeTime 604800", `,"MsgLifeTime":604800`, 0, true},
		{"MsgLifeTime over 7 days is clamped", `,"MsgLifeTime":604801`, 0, true},
		{"MsgLifeTime huge is clamped", `,"MsgLifeTime":9000000000`, 0, true},
		{"OnlineOnlyFlag 0", `,"OnlineOnlyFlag":0`, 0, true},
		{"negative MsgLifeTime", `,"MsgLifeTime":-1`, 90026, false},
		{"MsgLifeTime a string", `,"MsgLifeTime":"x"`, 90044, false},
		{"MsgLifeTime a numeric string", `,"MsgLifeTime":"100"`, 90044, false},
		{"MsgLifeTime a fraction", `,"MsgLifeTime":1.5`, 90044, false},
		{"OnlineOnlyFlag 2", `,"OnlineOnlyFlag":2`, 20001, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := sendFrom("alice", "bob", 1000+i, textBody(tt.name), `,"MsgSeq":1`+tt.extra)
			r := timCode(t, n, "openim/sendmsg", body, tt.want)
			var a sendAnswer
			r.Decode(t, &a)
			wantKey := fmt.Sprintf("1_%d_%d", 1000+i, t0)
			if tt.want == 0 && a.MsgKey != wantKey {
				t.Errorf("sendmsg %s: MsgKey %q, want %q", tt.name, a.MsgKey, wantKey)
			}
			for _, owner := range []string{"alice", "bob"} {
				got := slices.Contains(keys(historyOf(t, n, owner, map[string]string{"alice": "bob", "bob": "alice"}[owner])), wantKey)
				if got != tt.stored {
					t.Errorf("sendmsg %s: %s's history has it: %v, want %v", tt.name, owner, got, tt.stored)
				}
			}
		})
	}
}

func TestSendMsgRetryIsIdempotent(t *testing.T) {
	clock := clockAt(t0)
	n := parleytest.Start(t, parleytest.Options{Clock: clock})
	n.ImportAccounts(t, "alice", "bob")
	body := sendFrom("alice", "bob", 4242, textBody("once"), `,"MsgSeq":17`)
	first := send(t, n, body)
	again := send(t, n, body)
	if again.MsgKey != first.MsgKey || again.MsgTime != first.MsgTime {
		t.Errorf("retried sendmsg: MsgKey %q MsgTime %d, want the first %q %d", again.MsgKey, again.MsgTime, first.MsgKey, first.MsgTime)
	}
	// A retry with another body in the same second is still the same message.
	send(t, n, sendFrom("alice", "bob", 4242, textBody("changed"), `,"MsgSeq":17`))
	for _, owner := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
		h := historyOf(t, n, owner[0], owner[1])
		if len(h) != 1 || h[0].MsgKey != first.MsgKey || string(h[0].MsgBody) != textBody("once") {
			t.Errorf("%s's history after retries: %v, want only %s with the first body", owner[0], keys(h), first.MsgKey)
		}
	}

	// Not retries: another MsgRandom, the other direction, another second.
	send(t, n, sendFrom("alice", "bob", 4243, textBody("other random"), `,"MsgSeq":17`))
	send(t, n, sendFrom("bob", "alice", 4242, textBody("other direction"), `,"MsgSeq":17`))
	clock.Advance(time.Second)
	send(t, n, sendFrom("alice", "bob", 4242, textBody("next second"), `,"MsgSeq":17`))
	if h := historyOf(t, n, "bob", "alice"); len(h) != 4 {
		t.Errorf("bob's history: %v, want 4 messages", keys(h))
	}
}

func TestSendMsgHistoryOrder(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	// Sent out of order; history orders by time, then MsgSeq.
	sends := []struct {
		from, to string
		seq      uint32
		time     int64
	}{
		{"alice", "bob", 5, t0},
		{"bob", "alice", 9, t0 - 10},
		{"alice", "bob", 1, t0},
		{"alice", "bob", 2, t0 - 10},
		{"bob", "alice", 3, t0},
		{"alice", "bob", 4000000000, t0 - 20},
	}
	for i, s := range sends {
		send(t, n, sendFrom(s.from, s.to, 50+i, textBody("m"), fmt.Sprintf(`,"MsgSeq":%d,"MsgTimeStamp":%d`, s.seq, s.time)))
	}
	want := []string{
		fmt.Sprintf("4000000000_55_%d", t0-20),
		fmt.Sprintf("2_53_%d", t0-10),
		fmt.Sprintf("9_51_%d", t0-10),
		fmt.Sprintf("1_52_%d", t0),
		fmt.Sprintf("3_54_%d", t0),
		fmt.Sprintf("5_50_%d", t0),
	}
	for _, owner := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
		if got := keys(historyOf(t, n, owner[0], owner[1])); !slices.Equal(got, want) {
			t.Errorf("%s's history: %q, want %q", owner[0], got, want)
		}
	}
	// One page holding everything lists it oldest first too.
	a, _ := roam(t, n, `{"Operator_Account":"alice","Peer_Account":"bob","MaxCnt":100,"MinTime":0,"MaxTime":4000000000}`)
	if got := keys(a.MsgList); !slices.Equal(got, want) || a.Complete != 1 {
		t.Errorf("one page: %q Complete %d, want %q Complete 1", got, a.Complete, want)
	}
}

// TestSendMsgBodyRoundTrip checks that MsgBody and CloudCustomData come back
// from history exactly as sent.
func TestSendMsgBodyRoundTrip(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	tests := []struct {
		name, body, customData string
	}{
		{"control escapes", `[{"MsgType":"TIMFaceElem","MsgContent":{"Index":6,"Data":"abc\u0000\u0001\u001f"}}]`, ""},
		{"unicode raw", `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"你好, мир, 😀, \u2028"}}]`, "离线推送内容"},
		{"unicode escaped", `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"\u4f60\u597d \ud83d\ude00 \u00e9"}}]`, "x"},
		{"escapes of every kind", `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"\"\\\/\b\f\n\r\t\u0041"}}]`, "\"\\\n\x00"},
		{"unknown members kept", `[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"d","Future":{"x":[1,2.50,-0,1e3]},"Flag":true},"Extra":null}]`, "{\"json\":1}"},
		{"numbers as written", `[{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"somewhere","Latitude":39.9660,"Longitude":1.16322E2}}]`, ""},
		{"HTML characters", `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"<b>&amp;</b>"}}]`, "<>&"},
		{"several elements", `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a"}},{"MsgType":"TIMTextElem","MsgContent":{"Text":"b"}},{"MsgType":"TIMFaceElem","MsgContent":{"Index":1}}]`, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ccd := fmt.Sprintf("%q", tt.customData)
			ccd = strings.ReplaceAll(ccd, `\x00`, `\u0000`)
			body := sendFrom("alice", "bob", 300+i, tt.body, `,"MsgSeq":1,"CloudCustomData":`+ccd)
			a := send(t, n, body)
			for _, owner := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
				h := historyOf(t, n, owner[0], owner[1])
				j := slices.Index(keys(h), a.MsgKey)
				if j < 0 {
					t.Fatalf("%s's history has no %s", owner[0], a.MsgKey)
				}
				if got := string(h[j].MsgBody); got != tt.body {
					t.Errorf("%s's history: MsgBody\n%s\nwant\n%s", owner[0], got, tt.body)
				}
				if h[j].CloudCustomData != tt.customData {
					t.Errorf("%s's history: CloudCustomData %q, want %q", owner[0], h[j].CloudCustomData, tt.customData)
				}
			}
		})
	}
}

func TestSendMsgBodyWhitespaceIsCompacted(t *testing.T) {
	// Current behaviour (the reference is silent): insignificant whitespace
	// of MsgBody is not kept; everything else is.
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	body := " [ {\"MsgType\" : \"TIMTextElem\",\n\t\"MsgContent\": {\"Text\": \"a  b\\u0000\"} } ] "
	send(t, n, sendFrom("alice", "bob", 1, body, ``))
	h := historyOf(t, n, "bob", "alice")
	want := `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a  b\u0000"}}]`
	if len(h) != 1 || string(h[0].MsgBody) != want {
		t.Errorf("history of a body with whitespace: %v, want one message with MsgBody %s", h, want)
	}
}

// elementBodies are valid forms of every element type of reference §3.5.
var elementBodies = map[string]string{
	"text":              `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`,
	"empty text":        `[{"MsgType":"TIMTextElem","MsgContent":{"Text":""}}]`,
	"location":          `[{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"somewhere","Latitude":39.966,"Longitude":116.322}}]`,
	"location integers": `[{"MsgType":"TIMLocationElem","MsgContent":{"Latitude":-90,"Longitude":180}}]`,
	"face":              `[{"MsgType":"TIMFaceElem","MsgContent":{"Index":6,"Data":"abc"}}]`,
	"face without data": `[{"MsgType":"TIMFaceElem","MsgContent":{"Index":0}}]`,
	"custom":            `[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"custom-data","Desc":"custom-desc","Ext":"custom-ext","Sound":"dingdong.aiff"}}]`,
	"custom empty":      `[{"MsgType":"TIMCustomElem","MsgContent":{}}]`,
	"sound":             `[{"MsgType":"TIMSoundElem","MsgContent":{"Url":"https://x/a.mp3","UUID":"5d41402abc4b2a76","Size":1024,"Second":3,"Download_Flag":2}}]`,
	"sound old form":    `[{"MsgType":"TIMSoundElem","MsgContent":{"UUID":"u","Size":1024,"Second":3}}]`,
	"image": `[{"MsgType":"TIMImageElem","MsgContent":{"UUID":"img","ImageFormat":1,"ImageInfoArray":[` +
		`{"Type":1,"Size":1000,"Width":800,"Height":600,"URL":"https://x/1.jpg"},` +
		`{"Type":2,"Size":500,"Width":400,"Height":300,"URL":"https://x/2.jpg"},` +
		`{"Type":3,"Size":100,"Width":80,"Height":60,"URL":"https://x/3.jpg"}]}}]`,
	"image minimal": `[{"MsgType":"TIMImageElem","MsgContent":{"UUID":"img","ImageInfoArray":[{"Width":1,"Height":1,"URL":"u"}]}}]`,
	"file":          `[{"MsgType":"TIMFileElem","MsgContent":{"Url":"https://x/f.pdf","UUID":"f1","FileSize":10,"FileName":"f.pdf","Download_Flag":2}}]`,
	"file old form": `[{"MsgType":"TIMFileElem","MsgContent":{"UUID":"f1","FileSize":10,"FileName":"f.pdf"}}]`,
	"video": `[{"MsgType":"TIMVideoFileElem","MsgContent":{"VideoUrl":"https://x/v.mp4","VideoUUID":"v1","VideoSize":1000,"VideoSecond":0,"VideoFormat":"mp4","VideoDownloadFlag":2,` +
		`"ThumbUrl":"https://x/t.jpg","ThumbUUID":"t1","ThumbSize":10,"ThumbWidth":80,"ThumbHeight":60,"ThumbFormat":"JPG","ThumbDownloadFlag":2}}]`,
	"relay with MsgList": `[{"MsgType":"TIMRelayElem","MsgContent":{"Title":"chat","MsgNum":1,"CompatibleText":"upgrade","AbstractList":["alice: hi"],` +
		`"MsgList":[{"From_Account":"alice","To_Account":"bob","MsgSeq":1,"MsgRandom":2,"MsgTimeStamp":1700000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}],"CloudCustomData":""}]}}]`,
	"relay with JsonMsgKey": `[{"MsgType":"TIMRelayElem","MsgContent":{"Title":"chat","MsgNum":40,"CompatibleText":"upgrade","AbstractList":[],"JsonMsgKey":"abc"}}]`,
	"every type at once": `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi, beauty"}},{"MsgType":"TIMFaceElem","MsgContent":{"Index":6,"Data":"abc\u0000\u0001"}},` +
		`{"MsgType":"TIMCustomElem","MsgContent":{"Data":"custom-data"}},{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"somewhere","Latitude":39.966,"Longitude":116.322}},` +
		`{"MsgType":"TIMSoundElem","MsgContent":{"UUID":"u"}},{"MsgType":"TIMFileElem","MsgContent":{"UUID":"f"}},` +
		`{"MsgType":"TIMImageElem","MsgContent":{"UUID":"i","ImageInfoArray":[{"Width":1,"Height":1,"URL":"u"}]}}]`,
}

func TestSendMsgElements(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	random := 0
	for name, body := range elementBodies {
		t.Run("valid "+name, func(t *testing.T) {
			random++
			a := send(t, n, sendFrom("alice", "bob", random, body, ``))
			h := historyOf(t, n, "bob", "alice")
			if i := slices.Index(keys(h), a.MsgKey); i < 0 || string(h[i].MsgBody) != body {
				t.Errorf("sendmsg %s: history lacks it or changed its body", name)
			}
		})
	}
	sent := len(historyOf(t, n, "bob", "alice"))

	bad := []struct {
		name, body string
		want       int
	}{
		{"empty array", `[]`, 90002},
		{"element a string", `["hi"]`, 90002},
		{"element null", `[null]`, 90002},
		{"element an array", `[[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]]`, 90002},
		{"unknown MsgType", `[{"MsgType":"TIMNopeElem","MsgContent":{}}]`, 90002},
		{"MsgType of other case", `[{"MsgType":"timtextelem","MsgContent":{"Text":"x"}}]`, 90002},
		{"no MsgType", `[{"MsgContent":{"Text":"x"}}]`, 90002},
		{"MsgType a number", `[{"MsgType":1,"MsgContent":{"Text":"x"}}]`, 90002},
		{"member names are case-sensitive", `[{"msgtype":"TIMTextElem","msgcontent":{"Text":"x"}}]`, 90002},
		{"one bad element among good ones", `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}},{"MsgType":"Nope","MsgContent":{}}]`, 90002},
		{"no MsgContent", `[{"MsgType":"TIMTextElem"}]`, 90010},
		{"MsgContent a string", `[{"MsgType":"TIMTextElem","MsgContent":"x"}]`, 90010},
		{"MsgContent null", `[{"MsgType":"TIMTextElem","MsgContent":null}]`, 90010},
		{"no Text", `[{"MsgType":"TIMTextElem","MsgContent":{}}]`, 90010},
		{"Text a number", `[{"MsgType":"TIMTextElem","MsgContent":{"Text":5}}]`, 90010},
		{"Text null", `[{"MsgType":"TIMTextElem","MsgContent":{"Text":null}}]`, 90010},
		{"Latitude a string", `[{"MsgType":"TIMLocationElem","MsgContent":{"Latitude":"39.9","Longitude":116.3}}]`, 90010},
		{"no Longitude", `[{"MsgType":"TIMLocationElem","MsgContent":{"Latitude":39.9}}]`, 90010},
		{"Face Index a string", `[{"MsgType":"TIMFaceElem","MsgContent":{"Index":"6"}}]`, 90010},
		{"Face without Index", `[{"MsgType":"TIMFaceElem","MsgContent":{"Data":"x"}}]`, 90010},
		{"Custom Data a number", `[{"MsgType":"TIMCustomElem","MsgContent":{"Data":1}}]`, 90010},
		{"two TIMCustomElem", `[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"a"}},{"MsgType":"TIMCustomElem","MsgContent":{"Data":"b"}}]`, 90010},
		{"Sound without UUID", `[{"MsgType":"TIMSoundElem","MsgContent":{"Url":"u","Size":1}}]`, 90010},
		{"Sound Size a string", `[{"MsgType":"TIMSoundElem","MsgContent":{"UUID":"u","Size":"1"}}]`, 90010},
		{"Image without ImageInfoArray", `[{"MsgType":"TIMImageElem","MsgContent":{"UUID":"i"}}]`, 90010},
		{"Image info without URL", `[{"MsgType":"TIMImageElem","MsgContent":{"UUID":"i","ImageInfoArray":[{"Width":1,"Height":1}]}}]`, 90010},
		{"Image info not an object", `[{"MsgType":"TIMImageElem","MsgContent":{"UUID":"i","ImageInfoArray":["x"]}}]`, 90010},
		{"File FileSize a string", `[{"MsgType":"TIMFileElem","MsgContent":{"UUID":"f","FileSize":"10"}}]`, 90010},
		{"Video without ThumbUUID", `[{"MsgType":"TIMVideoFileElem","MsgContent":{"VideoUrl":"v","VideoUUID":"v","ThumbUrl":"t","ThumbWidth":1,"ThumbHeight":1}}]`, 90010},
		{"Relay without MsgList or JsonMsgKey", `[{"MsgType":"TIMRelayElem","MsgContent":{"Title":"t"}}]`, 90010},
		{"Relay MsgNum a fraction", `[{"MsgType":"TIMRelayElem","MsgContent":{"MsgNum":1.5,"JsonMsgKey":"k"}}]`, 90010},
		{"Relay AbstractList of numbers", `[{"MsgType":"TIMRelayElem","MsgContent":{"AbstractList":[1],"JsonMsgKey":"k"}}]`, 90010},
	}
	for i, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			timCode(t, n, "openim/sendmsg", sendFrom("alice", "bob", 900+i, tt.body, ``), tt.want)
		})
	}
	if got := len(historyOf(t, n, "bob", "alice")); got != sent {
		t.Errorf("bob's history after refused bodies: %d messages, want %d", got, sent)
	}
}

func TestSendMsgMemberErrors(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	text := textBody("x")
	tests := []struct {
		name, body string
		want       int
	}{
		{"valid", `{"From_Account":"alice","To_Account":"bob","MsgRandom":1,"MsgBody":` + text + `}`, 0},
		{"MsgBody not an array", `{"To_Account":"bob","MsgRandom":1,"MsgBody":"hi"}`, 90007},
		{"MsgBody an object", `{"To_Account":"bob","MsgRandom":1,"MsgBody":{"MsgType":"TIMTextElem"}}`, 90007},
		{"MsgBody a number", `{"To_Account":"bob","MsgRandom":1,"MsgBody":5}`, 90007},
		{"MsgBody missing", `{"To_Account":"bob","MsgRandom":1}`, 90002},
		{"MsgBody null", `{"To_Account":"bob","MsgRandom":1,"MsgBody":null}`, 90002},
		{"To_Account missing", `{"MsgRandom":1,"MsgBody":` + text + `}`, 90003},
		{"To_Account a number", `{"To_Account":5,"MsgRandom":1,"MsgBody":` + text + `}`, 90003},
		{"To_Account an array", `{"To_Account":["bob"],"MsgRandom":1,"MsgBody":` + text + `}`, 90003},
		{"To_Account null", `{"To_Account":null,"MsgRandom":1,"MsgBody":` + text + `}`, 90003},
		{"MsgRandom missing", `{"To_Account":"bob","MsgBody":` + text + `}`, 90005},
		{"MsgRandom a string", `{"To_Account":"bob","MsgRandom":"1","MsgBody":` + text + `}`, 90005},
		{"MsgRandom negative", `{"To_Account":"bob","MsgRandom":-1,"MsgBody":` + text + `}`, 90005},
		{"MsgRandom 2^32", `{"To_Account":"bob","MsgRandom":4294967296,"MsgBody":` + text + `}`, 90005},
		{"MsgRandom a fraction", `{"To_Account":"bob","MsgRandom":1.5,"MsgBody":` + text + `}`, 90005},
		{"MsgRandom null", `{"To_Account":"bob","MsgRandom":null,"MsgBody":` + text + `}`, 90005},
		{"MsgRandom huge", `{"To_Account":"bob","MsgRandom":1e400,"MsgBody":` + text + `}`, 90005},
		{"MsgSeq a string", `{"To_Account":"bob","MsgRandom":1,"MsgSeq":"1","MsgBody":` + text + `}`, 90004},
		{"MsgSeq 2^32", `{"To_Account":"bob","MsgRandom":1,"MsgSeq":4294967296,"MsgBody":` + text + `}`, 90004},
		{"MsgTimeStamp a string", `{"To_Account":"bob","MsgRandom":1,"MsgTimeStamp":"1","MsgBody":` + text + `}`, 90006},
		{"MsgTimeStamp negative", `{"To_Account":"bob","MsgRandom":1,"MsgTimeStamp":-5,"MsgBody":` + text + `}`, 90006},
		{"SyncOtherMachine a string", `{"To_Account":"bob","MsgRandom":1,"SyncOtherMachine":"1","MsgBody":` + text + `}`, 90031},
		{"MsgLifeTime a string", `{"To_Account":"bob","MsgRandom":1,"MsgLifeTime":"x","MsgBody":` + text + `}`, 90044},
		{"OfflinePushInfo a string", `{"To_Account":"bob","MsgRandom":1,"OfflinePushInfo":"x","MsgBody":` + text + `}`, 90043},
		{"OfflinePushInfo an array", `{"To_Account":"bob","MsgRandom":1,"OfflinePushInfo":[],"MsgBody":` + text + `}`, 90043},
		{"OfflinePushInfo PushFlag a string", `{"To_Account":"bob","MsgRandom":1,"OfflinePushInfo":{"PushFlag":"0"},"MsgBody":` + text + `}`, 90043},
		{"OfflinePushInfo Desc a number", `{"To_Account":"bob","MsgRandom":1,"OfflinePushInfo":{"Desc":1},"MsgBody":` + text + `}`, 90043},
		{"OfflinePushInfo AndroidInfo a string", `{"To_Account":"bob","MsgRandom":1,"OfflinePushInfo":{"AndroidInfo":"x"},"MsgBody":` + text + `}`, 90043},
		{"OfflinePushInfo ApnsInfo BadgeMode a string", `{"To_Account":"bob","MsgRandom":1,"OfflinePushInfo":{"ApnsInfo":{"BadgeMode":"1"}},"MsgBody":` + text + `}`, 90043},
		{"OfflinePushInfo full", `{"To_Account":"bob","MsgRandom":1,"OfflinePushInfo":{"PushFlag":0,"Title":"t","Desc":"d","Ext":"{}",` +
			`"AndroidInfo":{"Sound":"a","HuaWeiChannelID":"h","XiaoMiChannelID":"x","OPPOChannelID":"o","GoogleChannelID":"g","VIVOClassification":1,"HuaWeiImportance":"NORMAL","ExtAsHuaweiIntentParam":1,"HuaWeiCategory":"IM","PushStyle":1,"VIVOCategory":"IM","HuaWeiImage":"i","HonorImage":"i","HonorImportance":"NORMAL","GoogleImage":"i"},` +
			`"ApnsInfo":{"Sound":"s","BadgeMode":1,"Title":"t","SubTitle":"s","Image":"i","MutableContent":1,"InterruptionLevel":"active","ContentAvailable":1}},"MsgBody":` + text + `}`, 0},
		{"OfflinePushInfo null is absent", `{"To_Account":"bob","MsgRandom":2,"OfflinePushInfo":null,"MsgBody":` + text + `}`, 0},
		{"From_Account a number", `{"From_Account":1,"To_Account":"bob","MsgRandom":1,"MsgBody":` + text + `}`, 20003},
		{"receiver not imported", `{"From_Account":"alice","To_Account":"carol","MsgRandom":1,"MsgBody":` + text + `}`, 90012},
		{"receiver empty", `{"From_Account":"alice","To_Account":"","MsgRandom":1,"MsgBody":` + text + `}`, 90012},
		{"sender not imported", `{"From_Account":"carol","To_Account":"bob","MsgRandom":1,"MsgBody":` + text + `}`, 20003},
		{"sender empty", `{"From_Account":"","To_Account":"bob","MsgRandom":1,"MsgBody":` + text + `}`, 20003},
		{"JSON syntax error", `{"To_Account":"bob",}`, 90001},
		{"truncated JSON", `{"To_Account":"bob","MsgRandom":1,"MsgBody":[`, 90001},
		{"trailing garbage", `{"To_Account":"bob","MsgRandom":1,"MsgBody":` + text + `} x`, 90001},
		{"two objects", `{"To_Account":"bob","MsgRandom":1,"MsgBody":` + text + `}{}`, 90001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := timCode(t, n, "openim/sendmsg", tt.body, tt.want)
			if tt.want == 90001 && r.ErrorInfo != "Fail to Parse json data of body, Please check it" {
				t.Errorf("sendmsg %s: ErrorInfo %q, want Tencent's parse text", tt.name, r.ErrorInfo)
			}
		})
	}
	// Only the three valid sends were stored (two to bob from the admin's
	// default, one from alice).
	if got := len(historyOf(t, n, "bob", "alice")); got != 1 {
		t.Errorf("bob's history with alice: %d messages, want 1", got)
	}
	if got := len(historyOf(t, n, "bob", parleytest.Admin)); got != 2 {
		t.Errorf("bob's history with the admin: %d messages, want 2", got)
	}
}

func TestSendMsgSizeLimit(t *testing.T) {
	n := parleytest.Start(t, parleytest.Options{Clock: clockAt(t0)})
	n.ImportAccounts(t, "alice", "bob")
	const limit = 12 << 10
	// body returns a MsgBody and CloudCustomData of total bytes size.
	body := func(size, customData int) (string, string) {
		empty := textBody("")
		return textBody(strings.Repeat("x", size-customData-len(empty))), strings.Repeat("c", customData)
	}
	tests := []struct {
		name             string
		size, customData int
		want             int
	}{
		{"body at the limit", limit, 0, 0},
		{"body and custom data at the limit", limit, 2000, 0},
		{"body one over", limit + 1, 0, 93000},
		{"body and custom data one over", limit + 1, 6000, 93000},
		{"custom data alone at the limit", limit + 100, limit, 93000},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ccd := body(tt.size, tt.customData)
			req := sendFrom("alice", "bob", 700+i, b, `,"CloudCustomData":"`+ccd+`"`)
			timCode(t, n, "openim/sendmsg", req, tt.want)
		})
	}
	// A too-large message to an unknown receiver is refused for its size.
	b, _ := body(limit+1, 0)
	timCode(t, n, "openim/sendmsg", sendFrom("alice", "carol", 1, b, ``), 93000)
	if got := len(historyOf(t, n, "bob", "alice")); got != 2 {
		t.Errorf("bob's history: %d messages, want the 2 at the limit", got)
	}
}
