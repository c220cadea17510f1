package bench

import (
	"encoding/json"
	"testing"
)

func TestIntMember(t *testing.T) {
	tests := []struct {
		in   string
		name string
		want int
		ok   bool
	}{
		{`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, "ErrorCode", 0, true},
		{`{"ActionStatus":"FAIL","ErrorCode": 90001,"ErrorInfo":"x"}`, "ErrorCode", 90001, true},
		{`{"MsgBody":[{"Text":"\"ErrorCode\":5"}],"ErrorCode":0}`, "ErrorCode", 0, true}, // a quoted name inside a string does not match
		{`{"MsgCnt":20,"Complete":0}`, "MsgCnt", 20, true},
		{`{"ErrorCode":-1}`, "ErrorCode", -1, true},
		{`{"ActionStatus":"OK"}`, "ErrorCode", 0, false},
		{`{"ErrorCode":"x"}`, "ErrorCode", 0, false},
	}
	for _, tt := range tests {
		got, ok := intMember([]byte(tt.in), tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("intMember(%s, %q) = %d, %v; want %d, %v", tt.in, tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRequestBodies(t *testing.T) {
	body := textBody(100)
	var elems []struct {
		MsgType    string
		MsgContent struct{ Text string }
	}
	if err := json.Unmarshal(body, &elems); err != nil || len(elems) != 1 || len(elems[0].MsgContent.Text) != 100 {
		t.Fatalf("textBody(100) = %s (%v): want one text element of 100 bytes", body, err)
	}
	var send struct {
		From_Account, To_Account string
		MsgRandom                uint32
		MsgBody                  json.RawMessage
	}
	b := appendSendMsg(nil, "bu000001", "bu000002", 4294967295, body)
	if err := json.Unmarshal(b, &send); err != nil || send.From_Account != "bu000001" || send.To_Account != "bu000002" || send.MsgRandom != 4294967295 {
		t.Errorf("appendSendMsg = %s (%v)", b, err)
	}
	var roam map[string]any
	if err := json.Unmarshal(appendRoam(nil, "a", "b", 20, 1, 2), &roam); err != nil || roam["MaxCnt"] != 20.0 || roam["Peer_Account"] != "b" {
		t.Errorf("appendRoam: %v %v", roam, err)
	}
	var imp map[string]any
	if err := json.Unmarshal(appendImport(nil, "a", "b", 7, 1700000000, body), &imp); err != nil || imp["SyncFromOldSystem"] != 2.0 || imp["MsgSeq"] != 7.0 {
		t.Errorf("appendImport: %v %v", imp, err)
	}
}
