package bench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHasMsgSeq(t *testing.T) {
	answer := []byte(`{"RspMsgList":[{"MsgSeq":120,"MsgTimeStamp":1},{"MsgSeq":12}]}`)
	for seq, want := range map[uint64]bool{120: true, 12: true, 1: false, 1200: false, 11: false} {
		if got := hasMsgSeq(answer, seq); got != want {
			t.Errorf("hasMsgSeq(%d) = %v, want %v", seq, got, want)
		}
	}
}

func TestSentGroupMsg(t *testing.T) {
	if seq, err := sentGroupMsg([]byte(`{"ActionStatus":"OK","ErrorCode":0,"MsgTime":1,"MsgSeq":42}`)); seq != 42 || err != nil {
		t.Errorf("OK answer: %d, %v", seq, err)
	}
	_, err := sentGroupMsg([]byte(`{"ActionStatus":"OK","ErrorCode":0,"MsgTime":1,"MsgSeq":0,"MsgDropReason":"MsgFreqCtrl"}`))
	if !errors.Is(err, errFreqCtrl) || errorKind(err) != "freq ctrl" {
		t.Errorf("dropped: %v (kind %q), want errFreqCtrl", err, errorKind(err))
	}
	if _, err := sentGroupMsg([]byte(`{"ActionStatus":"OK","ErrorCode":0}`)); err == nil {
		t.Error("no MsgSeq: no error")
	}
}

func TestAppendSendGroupMsg(t *testing.T) {
	got := string(appendSendGroupMsg(nil, "g1", "", 7, []byte(`[]`)))
	if want := `{"GroupId":"g1","Random":7,"MsgBody":[]}`; got != want {
		t.Errorf("as the admin: %s, want %s", got, want)
	}
	got = string(appendSendGroupMsg(nil, "g1", "bob", 7, []byte(`[]`)))
	if want := `{"GroupId":"g1","From_Account":"bob","Random":7,"MsgBody":[]}`; got != want {
		t.Errorf("from bob: %s, want %s", got, want)
	}
}

func TestFanoutTracker(t *testing.T) {
	tr := newFanoutTracker("g", 3)
	if want := `"group_msg":{"group":"g"`; string(tr.marker) != want {
		t.Errorf("marker %s, want %s", tr.marker, want)
	}
	base := time.Now().UnixNano()
	for i, at := range []int64{30, 10, 20} {
		select {
		case <-tr.slot(5).done:
			t.Fatalf("done after %d of 3 members", i)
		default:
		}
		tr.arrive(5, base+at)
	}
	s := tr.slot(5)
	select {
	case <-s.done:
	default:
		t.Fatal("not done after 3 of 3 members")
	}
	if s.count.Load() != 3 || s.first.Load() != base+10 || s.last.Load() != base+30 {
		t.Errorf("count %d, first +%d, last +%d; want 3, +10, +30", s.count.Load(), s.first.Load()-base, s.last.Load()-base)
	}
}

func TestFanoutBusy(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	f := &fanoutRun{spans: [][2]time.Time{{at(50), at(80)}, {at(0), at(10)}, {at(5), at(20)}, {at(60), at(70)}}}
	if got, want := f.busy(), 50*time.Millisecond; got != want { // 0–20 and 50–80
		t.Errorf("busy = %v, want %v", got, want)
	}
}

func TestFanoutGroup(t *testing.T) {
	if g := fanoutGroup(userNames("bf", 2000)); g.typ != "Public" || len(g.members) != 1999 || g.owner != "bf000000" {
		t.Errorf("2000 members: %s owned by %s with %d more", g.typ, g.owner, len(g.members))
	}
	if g := fanoutGroup(userNames("bf", 10_000)); g.typ != "Community" || g.max != 10_000 || !strings.HasPrefix(g.id, "@TGS#_") {
		t.Errorf("10,000 members: %+v, want a Community", g)
	}
}

func TestFileBudgetFanout(t *testing.T) {
	cfg := Config{Scenarios: []string{"ceiling", "fanout"}, Members: 10_000}.withDefaults()
	err := cfg.fileBudget(20_000)
	if err == nil || !strings.Contains(err.Error(), "fanout 10000 needs about 20256") || !strings.Contains(err.Error(), "ceiling 10000") {
		t.Errorf("in-process fanout and ceiling of 10,000 with 20,000 files: %v, want both refused", err)
	}
	cfg.URL, cfg.CeilingURL = "http://127.0.0.1:8080", "http://127.0.0.1:8081"
	if err := cfg.fileBudget(20_000); err != nil {
		t.Errorf("remote server and null server: %v", err)
	}
}
