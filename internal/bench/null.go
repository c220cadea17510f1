package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parleyim/parley/protocol"
)

// NullServer answers Parley's REST and WebSocket requests without doing any
// work, in the same shape: the ceiling the machine, the HTTP stack and the
// WebSocket library put on any server, measured with the same load.
//
//   - POST /v4/…: reads the body and answers the OK envelope of sendmsg.
//     When devices are connected and the command is sendmsg, it also reads
//     To_Account and MsgRandom and writes the message's event frame to
//     To_Account's devices (the e2e shape). With no device connected it
//     parses nothing.
//     send_group_msg answers OK with the next MsgSeq of a counter and, with
//     devices connected, writes the group message's event frame (encoded
//     once) to every connected device, as if all were members of every
//     group (the fanout shape), from GOMAXPROCS goroutines.
//   - GET /v1/ws: answers any login frame with "ok" (no UserSig check);
//     answers "send" with the message key and writes the event frame to the
//     receiver's devices (the device shape); answers "ping" with "pong" and
//     anything else with "ok". Frames are written directly from the reading
//     goroutine under a per-connection lock: no queue, no store, no bus.
//   - GET /healthz: "ok".
type NullServer struct {
	srv      *http.Server
	ln       net.Listener
	upgrader websocket.Upgrader
	online   atomic.Int64
	seq      atomic.Uint64
	groupSeq atomic.Uint64

	mu       sync.Mutex
	sessions map[string][]*nullSession // by user, once logged in
	conns    map[*websocket.Conn]bool  // every upgraded connection
	closed   bool
	wg       sync.WaitGroup
}

// nullOK is the answer to every REST request: sendmsg's OK envelope.
var nullOK = []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgTime":1700000000,"MsgKey":"1_2_1700000000"}`)

type nullSession struct {
	conn *websocket.Conn
	user string
	wmu  sync.Mutex
}

func (s *nullSession) write(b []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	s.conn.WriteMessage(websocket.TextMessage, b)
}

// StartNull listens on addr (host:port; port 0 picks one) and serves until
// Close.
func StartNull(addr string) (*NullServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &NullServer{ln: ln, sessions: map[string][]*nullSession{}, conns: map[*websocket.Conn]bool{}}
	s.upgrader = websocket.Upgrader{ // as the gateway's
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v4/", s.serveREST)
	mux.HandleFunc("GET "+protocol.Path, s.serveWS)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// URL is the server's http:// address.
func (s *NullServer) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the listener, closes every connection and waits for them.
func (s *NullServer) Close() error {
	err := s.srv.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// ServeNull runs a null server on addr until ctx ends; ready is called with
// its URL once it accepts connections.
func ServeNull(ctx context.Context, addr string, ready func(url string)) error {
	s, err := StartNull(addr)
	if err != nil {
		return err
	}
	ready(s.URL())
	<-ctx.Done()
	return s.Close()
}

func (s *NullServer) serveREST(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if strings.HasSuffix(r.URL.Path, "/send_group_msg") {
		s.sendGroupMsg(w, body)
		return
	}
	w.Write(nullOK)
	if s.online.Load() > 0 && strings.HasSuffix(r.URL.Path, "/sendmsg") {
		var m struct {
			From   string          `json:"From_Account"`
			To     string          `json:"To_Account"`
			Random uint32          `json:"MsgRandom"`
			Body   json.RawMessage `json:"MsgBody"`
		}
		if json.Unmarshal(body, &m) == nil {
			s.deliver(m.From, m.To, m.Random, m.Body)
		}
	}
}

// sendGroupMsg answers send_group_msg with the next MsgSeq and writes the
// message's frame to every connected device.
func (s *NullServer) sendGroupMsg(w http.ResponseWriter, body []byte) {
	seq := s.groupSeq.Add(1)
	now := time.Now().Unix()
	if s.online.Load() > 0 {
		var m struct {
			Group  string          `json:"GroupId"`
			From   string          `json:"From_Account"`
			Random uint32          `json:"Random"`
			Body   json.RawMessage `json:"MsgBody"`
		}
		if json.Unmarshal(body, &m) == nil {
			frame, _ := json.Marshal(protocol.Event{
				Frame: protocol.Frame{Op: protocol.OpEvent}, Kind: protocol.KindGroupMessage, Time: now, Group: m.Group,
				GroupMsg: &protocol.GroupMessage{Group: m.Group, Seq: seq, From: cmp.Or(m.From, "administrator"), Random: m.Random,
					Time: now, Priority: 2, Body: m.Body},
			})
			s.broadcast(frame)
		}
	}
	answer := append([]byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgTime":`), strconv.FormatInt(now, 10)...)
	answer = append(append(append(answer, `,"MsgSeq":`...), strconv.FormatUint(seq, 10)...), '}')
	w.Write(answer)
}

// broadcast writes frame to every logged-in device, splitting them among
// GOMAXPROCS goroutines.
func (s *NullServer) broadcast(frame []byte) {
	s.mu.Lock()
	all := make([]*nullSession, 0, s.online.Load())
	for _, ds := range s.sessions {
		all = append(all, ds...)
	}
	s.mu.Unlock()
	n := min(runtime.GOMAXPROCS(0), len(all))
	var wg sync.WaitGroup
	for i := range n {
		part := all[i*len(all)/n : (i+1)*len(all)/n]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, d := range part {
				d.write(frame)
			}
		}()
	}
	wg.Wait()
}

// deliver writes a message's event frame to the receiver's devices.
func (s *NullServer) deliver(from, to string, random uint32, body json.RawMessage) {
	s.mu.Lock()
	devices := s.sessions[to]
	s.mu.Unlock()
	if len(devices) == 0 {
		return
	}
	now := time.Now().Unix()
	frame, _ := json.Marshal(protocol.Event{
		Frame: protocol.Frame{Op: protocol.OpEvent}, Seq: s.seq.Add(1), Kind: protocol.KindC2C, Time: now,
		Message: &protocol.Message{From: from, To: to, Seq: 1, Random: random, Time: now,
			Key: "1_" + strconv.FormatUint(uint64(random), 10) + "_" + strconv.FormatInt(now, 10), Body: body},
	})
	for _, d := range devices {
		d.write(frame)
	}
}

func (s *NullServer) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.conns[conn] = true
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		conn.Close()
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		s.wg.Done()
	}()
	conn.SetReadLimit(64 << 10)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var login protocol.Login
	if err := conn.ReadJSON(&login); err != nil || login.Op != protocol.OpLogin {
		return
	}
	conn.SetReadDeadline(time.Time{})
	sess := &nullSession{conn: conn, user: login.User}
	// Registered before the answer, as the gateway does: a message sent to
	// the device right after its login succeeded reaches it.
	if !s.register(sess) {
		return
	}
	defer s.unregister(sess)
	ok, _ := json.Marshal(protocol.LoginOK{Frame: protocol.Frame{ID: login.ID, Op: protocol.OpOK},
		ServerTime: time.Now().Unix(), Session: "null"})
	sess.write(ok)
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var f protocol.Frame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		switch f.Op {
		case protocol.OpSend:
			var m protocol.Send
			if json.Unmarshal(data, &m) != nil {
				continue
			}
			now := time.Now().Unix()
			ack, _ := json.Marshal(protocol.Sent{Frame: protocol.Frame{ID: f.ID, Op: protocol.OpOK},
				MsgKey: "1_" + strconv.FormatUint(uint64(m.Random), 10) + "_" + strconv.FormatInt(now, 10), MsgTime: now})
			sess.write(ack)
			s.deliver(sess.user, m.To, m.Random, m.Body)
		case protocol.OpPing:
			b, _ := json.Marshal(protocol.Frame{ID: f.ID, Op: protocol.OpPong})
			sess.write(b)
		default:
			b, _ := json.Marshal(protocol.Frame{ID: f.ID, Op: protocol.OpOK})
			sess.write(b)
		}
	}
}

func (s *NullServer) register(x *nullSession) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.sessions[x.user] = append(s.sessions[x.user], x)
	s.online.Add(1)
	return true
}

func (s *NullServer) unregister(x *nullSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[x.user]
	for i, y := range ss {
		if y == x {
			ss = append(ss[:i], ss[i+1:]...)
			break
		}
	}
	if len(ss) == 0 {
		delete(s.sessions, x.user)
	} else {
		s.sessions[x.user] = ss
	}
	s.online.Add(-1)
}
