package tim_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parleyim/parley/internal/parleytest"
)

// Community topics: v4/million_group_open_http_svc/create_topic,
// destroy_topic, get_topic, and topic messages (TopicId in send, history,
// recall and notifications).

func createTopic(t testing.TB, n *parleytest.Node, body string) string {
	t.Helper()
	var a struct{ TopicId string }
	n.MustTIM(t, msvc+"create_topic", body).Decode(t, &a)
	if a.TopicId == "" {
		t.Fatalf("create_topic %s: no TopicId", body)
	}
	return a.TopicId
}

type topicItem struct {
	ErrorCode int
	ErrorInfo string
	TopicInfo struct {
		TopicName     string
		GroupID       string
		FaceUrl       string
		TopicId       string
		NextMsgSeq    uint64
		Notification  string
		Introduction  string
		CreateTime    int64
		LastMsgTime   int64
		ShutUpAllFlag int
		CustomString  string
	}
	SelfInfo *struct {
		ShutUpTime int64
		MsgSeq     uint64
		MsgFlag    string
	}
}

func getTopics(t testing.TB, n *parleytest.Node, body string) []topicItem {
	t.Helper()
	var a struct{ TopicAndSelfInfo []topicItem }
	n.MustTIM(t, msvc+"get_topic", body).Decode(t, &a)
	return a.TopicAndSelfInfo
}

func TestTopics(t *testing.T) {
	n, _ := groupNode(t)
	c := groupWith(t, n, "Community", "alice", "bob")
	news := createTopic(t, n, fmt.Sprintf(`{"GroupId":%q,"TopicId":"news","TopicName":"News","From_Account":"alice",
		"CustomString":"cs","FaceUrl":"http://face","Notification":"note","Introduction":"intro"}`, c))
	if news != c+"@TOPIC#_news" {
		t.Errorf("custom TopicId %q, want %s@TOPIC#_news", news, c)
	}
	sports := createTopic(t, n, fmt.Sprintf(`{"GroupId":%q,"TopicId":%q,"TopicName":"Sports"}`, c, c+"@TOPIC#_sports"))
	if sports != c+"@TOPIC#_sports" {
		t.Errorf("full custom TopicId answered %q", sports)
	}
	gen := createTopic(t, n, fmt.Sprintf(`{"GroupId":%q,"TopicName":"Generated"}`, c))
	if !strings.HasPrefix(gen, c+"@TOPIC#_@TOPIC#c") || len(gen) != len(c)+len("@TOPIC#_@TOPIC#c")+8 {
		t.Errorf("generated TopicId %q", gen)
	}

	// Each topic numbers its own messages from 1; the group has its own.
	topicMsg := func(topic string, random int) uint64 {
		t.Helper()
		return sendG(t, n, c, "bob", random, fmt.Sprint("t", random), fmt.Sprintf(`,"TopicId":%q`, topic)).MsgSeq
	}
	seqs := []uint64{
		sendG(t, n, c, "alice", 1, "group", "").MsgSeq,
		topicMsg(news, 2), topicMsg(news, 3), topicMsg(sports, 4),
		sendG(t, n, c, "alice", 5, "group again", "").MsgSeq,
	}
	if !slices.Equal(seqs, []uint64{1, 1, 2, 1, 2}) {
		t.Errorf("seqs %v, want group 1, news 1 2, sports 1, group 2", seqs)
	}
	n.MustTIM(t, gsvc+"send_group_system_notification", fmt.Sprintf(`{"GroupId":%q,"Content":"topic notice","TopicId":%q}`, c, news))
	if s := topicMsg(news, 6); s != 4 {
		t.Errorf("news after its notification: MsgSeq %d, want 4", s)
	}
	if got := seqList(groupHistory(t, n, c, fmt.Sprintf(`,"TopicId":%q`, news)).RspMsgList); !slices.Equal(got, []uint64{4, 3, 2, 1}) {
		t.Errorf("news history %v", got)
	}
	if got := seqList(groupHistory(t, n, c, "").RspMsgList); !slices.Equal(got, []uint64{2, 1}) {
		t.Errorf("group history %v", got)
	}
	var rec struct {
		RecallRetList []struct {
			MsgSeq  uint64
			RetCode int
		}
	}
	n.MustTIM(t, gsvc+"group_msg_recall", fmt.Sprintf(`{"GroupId":%q,"TopicId":%q,"MsgSeqList":[{"MsgSeq":1}]}`, c, news)).Decode(t, &rec)
	if len(rec.RecallRetList) != 1 || rec.RecallRetList[0].RetCode != 0 {
		t.Errorf("recall in a topic: %+v", rec)
	}
	if got := seqList(groupHistory(t, n, c, fmt.Sprintf(`,"TopicId":%q`, news)).RspMsgList); !slices.Equal(got, []uint64{4, 3, 2}) {
		t.Errorf("news history after the recall %v", got)
	}
	if got := seqList(groupHistory(t, n, c, "").RspMsgList); !slices.Equal(got, []uint64{2, 1}) {
		t.Errorf("the group's seq 1 was recalled with the topic's: %v", got)
	}

	all := getTopics(t, n, fmt.Sprintf(`{"GroupId":%q}`, c))
	if len(all) != 3 {
		t.Fatalf("get_topic: %d topics", len(all))
	}
	byID := map[string]topicItem{}
	for _, it := range all {
		byID[it.TopicInfo.TopicId] = it
	}
	ni := byID[news].TopicInfo
	if ni.TopicName != "News" || ni.GroupID != c || ni.NextMsgSeq != 5 || ni.CustomString != "cs" || ni.FaceUrl != "http://face" ||
		ni.Notification != "note" || ni.Introduction != "intro" || ni.CreateTime != gt0 || ni.LastMsgTime != gt0 || byID[news].ErrorCode != 0 {
		t.Errorf("news TopicInfo %+v", ni)
	}
	if si := byID[sports].TopicInfo; si.NextMsgSeq != 2 || si.TopicName != "Sports" {
		t.Errorf("sports TopicInfo %+v", si)
	}
	some := getTopics(t, n, fmt.Sprintf(`{"GroupId":%q,"From_Account":"bob","TopicIdList":[%q,"nope"]}`, c, news))
	if len(some) != 2 || some[0].TopicInfo.TopicId != news || some[0].SelfInfo == nil || some[0].SelfInfo.MsgFlag != "AcceptAndNotify" ||
		some[1].ErrorCode != 10010 || some[1].TopicInfo.TopicId != "nope" {
		t.Errorf("get_topic with TopicIdList: %+v", some)
	}

	var d struct {
		DestroyResultItem []struct {
			ErrorCode int
			TopicId   string
		}
	}
	n.MustTIM(t, msvc+"destroy_topic", fmt.Sprintf(`{"GroupId":%q,"TopicIdList":[%q,"nope"]}`, c, sports)).Decode(t, &d)
	if got := fmt.Sprint(d.DestroyResultItem); got != fmt.Sprintf("[{0 %s} {10010 nope}]", sports) {
		t.Errorf("destroy_topic: %s", got)
	}
	if got := len(getTopics(t, n, fmt.Sprintf(`{"GroupId":%q}`, c))); got != 2 {
		t.Errorf("%d topics after destroying one", got)
	}
	timCode(t, n, gsvc+"send_group_msg", groupMsgBody(c, "bob", 9, "gone", fmt.Sprintf(`,"TopicId":%q`, sports)), 10010)
	timCode(t, n, gsvc+"group_msg_get_simple", fmt.Sprintf(`{"GroupId":%q,"ReqMsgNumber":5,"TopicId":%q}`, c, sports), 10010)

	pub := groupWith(t, n, "Public", "alice")
	plain := newGroup(t, n, `{"Owner_Account":"alice","Type":"Community","Name":"no topics"}`)
	hundreds := make([]string, 201)
	for i := range hundreds {
		hundreds[i] = fmt.Sprint("t", i)
	}
	for _, tc := range []struct {
		cmd, body string
		code      int
	}{
		{"create_topic", fmt.Sprintf(`{"GroupId":%q,"TopicId":"news","TopicName":"again"}`, c), 10021},
		{"create_topic", fmt.Sprintf(`{"GroupId":%q}`, c), 10004},
		{"create_topic", fmt.Sprintf(`{"GroupId":%q,"TopicName":""}`, c), 10004},
		{"create_topic", fmt.Sprintf(`{"GroupId":%q,"TopicName":"%s"}`, c, strings.Repeat("n", 31)), 10004},
		{"create_topic", fmt.Sprintf(`{"GroupId":%q,"TopicName":"x","CustomString":"%s"}`, c, strings.Repeat("s", 3001)), 10004},
		{"create_topic", fmt.Sprintf(`{"GroupId":%q,"TopicName":"x","TopicId":"%s"}`, c, strings.Repeat("i", 97)), 10004},
		{"create_topic", fmt.Sprintf(`{"GroupId":%q,"TopicName":"x","From_Account":"ghost"}`, c), 10019},
		{"create_topic", fmt.Sprintf(`{"GroupId":%q,"TopicName":"x"}`, pub), 11000},
		{"create_topic", fmt.Sprintf(`{"GroupId":%q,"TopicName":"x"}`, plain), 11000},
		{"create_topic", `{"GroupId":"nope","TopicName":"x"}`, 10010},
		{"destroy_topic", fmt.Sprintf(`{"GroupId":%q,"TopicIdList":[]}`, c), 10004},
		{"destroy_topic", fmt.Sprintf(`{"GroupId":%q,"TopicIdList":%s}`, c, jsonList(hundreds...)), 10004},
		{"destroy_topic", fmt.Sprintf(`{"GroupId":%q,"TopicIdList":["x"]}`, pub), 11000},
		{"destroy_topic", `{"GroupId":"nope","TopicIdList":["x"]}`, 10010},
		{"get_topic", fmt.Sprintf(`{"GroupId":%q}`, pub), 11000},
		{"get_topic", `{}`, 10004},
		{"get_topic", `{"GroupId":"nope"}`, 10010},
	} {
		timCode(t, n, msvc+tc.cmd, tc.body, tc.code)
	}
}
