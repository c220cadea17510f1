// Package client is a Go client for Parley's WebSocket protocol (package
// protocol): it logs a device in, delivers the user's events in sync order
// and makes requests. The server's tests, its load generator and users' bots
// use it.
//
//	c, err := client.Dial(ctx, client.Config{URL: "ws://127.0.0.1:8080", SDKAppID: app, User: "bob", UserSig: sig})
//	for ev := range c.Events() { … }
//
// A Conn is safe for concurrent use. It does not reconnect by itself: after
// Done is closed, read what is left on Events, then dial again with SyncFrom
// set to LastSeq to receive what was missed, in order, without duplicates.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parleyim/parley/protocol"
)

// Config says where and as whom to connect.
type Config struct {
	// URL is the server: ws://, wss://, http:// or https:// with host and
	// optional port; the protocol path is added when missing.
	URL      string
	SDKAppID uint64
	User     string
	UserSig  string
	// Platform is one of protocol.Platforms. Empty means "PC".
	Platform string
	Device   string
	// SyncFrom asks for every event after this sync number before live
	// events (a reconnecting device passes the LastSeq of its last Conn).
	SyncFrom *uint64
	// PushToken registers the device for offline push.
	PushToken string
	// EventBuffer is how many events may wait in Events before the
	// connection stops reading (and the server, at its limit, drops it).
	// Zero means 4096.
	EventBuffer int
	// Dialer dials the WebSocket. Nil means a default dialer.
	Dialer *websocket.Dialer
	// Header is sent with the WebSocket handshake.
	Header http.Header
}

// Error is a refusal from the server.
type Error struct {
	Code    int
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("parley: %d %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("parley: %d %s", e.Code, e.Message)
}

// CloseError reports how the server ended a connection.
type CloseError struct {
	Code int
	Text string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("parley: connection closed (%d %s)", e.Code, e.Text)
}

// ErrClosed is returned by requests on a closed connection whose close
// carried no code.
var ErrClosed = errors.New("parley: connection closed")

// Conn is a logged-in device connection.
type Conn struct {
	ws      *websocket.Conn
	login   protocol.LoginOK
	events  chan protocol.Event
	synced  chan uint64
	done    chan struct{}
	closing chan struct{} // closed by Close: the reader stops handing out events
	lastSeq atomic.Uint64

	wmu       sync.Mutex // serializes writes
	closeOnce sync.Once

	mu      sync.Mutex
	nextID  int64
	waiting map[int64]chan json.RawMessage
	err     error
}

// Dial connects and logs in. It returns once the server accepted the login;
// events (the catch-up first when SyncFrom is set) arrive on Events.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	u, err := wsURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	d := cfg.Dialer
	if d == nil {
		d = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096}
	}
	ws, resp, err := d.DialContext(ctx, u, cfg.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("parley: dial %s: %w (HTTP %d)", u, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("parley: dial %s: %w", u, err)
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 4096
	}
	if cfg.Platform == "" {
		cfg.Platform = "PC"
	}
	c := &Conn{
		ws:      ws,
		events:  make(chan protocol.Event, cfg.EventBuffer),
		synced:  make(chan uint64, 16),
		done:    make(chan struct{}),
		closing: make(chan struct{}),
		waiting: map[int64]chan json.RawMessage{},
		nextID:  1,
	}
	login := protocol.Login{
		Frame: protocol.Frame{ID: 1, Op: protocol.OpLogin}, SDKAppID: cfg.SDKAppID, User: cfg.User,
		UserSig: cfg.UserSig, Platform: cfg.Platform, Device: cfg.Device, SyncFrom: cfg.SyncFrom, PushToken: cfg.PushToken,
	}
	if dl, ok := ctx.Deadline(); ok {
		ws.SetReadDeadline(dl)
	}
	if err := ws.WriteJSON(login); err != nil {
		ws.Close()
		return nil, fmt.Errorf("parley: login: %w", err)
	}
	_, data, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return nil, closeErr(err)
	}
	var f protocol.Frame
	json.Unmarshal(data, &f)
	if f.Op == protocol.OpError {
		var e protocol.Error
		json.Unmarshal(data, &e)
		ws.Close()
		return nil, &Error{Code: e.Code, Message: e.Message, Field: e.Field}
	}
	if err := json.Unmarshal(data, &c.login); err != nil || f.Op != protocol.OpOK {
		ws.Close()
		return nil, fmt.Errorf("parley: unexpected login answer %s", data)
	}
	ws.SetReadDeadline(time.Time{})
	// The server starts after SyncFrom, or at the head when SyncFrom is
	// absent or beyond it: so does LastSeq.
	start := c.login.Head
	if cfg.SyncFrom != nil && *cfg.SyncFrom < start {
		start = *cfg.SyncFrom
	}
	c.lastSeq.Store(start)
	go c.readLoop()
	return c, nil
}

func wsURL(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "http://"):
		s = "ws://" + strings.TrimPrefix(s, "http://")
	case strings.HasPrefix(s, "https://"):
		s = "wss://" + strings.TrimPrefix(s, "https://")
	case strings.HasPrefix(s, "ws://"), strings.HasPrefix(s, "wss://"):
	default:
		return "", fmt.Errorf("parley: URL %q: want ws://, wss://, http:// or https://", s)
	}
	if !strings.Contains(strings.SplitN(s, "://", 2)[1], "/") || strings.HasSuffix(s, "/") {
		s = strings.TrimSuffix(s, "/") + protocol.Path
	}
	return s, nil
}

// Head is the user's newest sync number when the login was accepted.
func (c *Conn) Head() uint64 { return c.login.Head }

// ServerTime is the server's clock at login (Unix seconds).
func (c *Conn) ServerTime() int64 { return c.login.ServerTime }

// Events delivers the user's events in sync order (online-only messages,
// numbered 0, among them). It is closed when the connection ends.
func (c *Conn) Events() <-chan protocol.Event { return c.events }

// Synced delivers the head when the catch-up after the login completes
// (once per Conn, also when there was nothing to catch up).
func (c *Conn) Synced() <-chan uint64 { return c.synced }

// LastSeq is the sync number of the last event put on Events; before the
// first, where the connection started (SyncFrom, or the login's head when
// SyncFrom is absent or beyond it). Once Done is closed and Events drained,
// it is the last event the application received: dial with it as SyncFrom
// to continue.
func (c *Conn) LastSeq() uint64 { return c.lastSeq.Load() }

// Done is closed when the connection ends; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is up, then a *CloseError or the read error.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the connection. Events already on Events can still be read
// (LastSeq counts them); later ones are dropped.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() { close(c.closing) })
	c.wmu.Lock()
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	err := c.ws.Close()
	<-c.done
	return err
}

func closeErr(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: ce.Code, Text: ce.Text}
	}
	return err
}

func (c *Conn) readLoop() {
	defer func() {
		c.mu.Lock()
		for id, ch := range c.waiting {
			close(ch)
			delete(c.waiting, id)
		}
		c.mu.Unlock()
		close(c.events)
		close(c.done)
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.err = closeErr(err)
			c.mu.Unlock()
			return
		}
		var f protocol.Frame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		switch f.Op {
		case protocol.OpEvent:
			var ev protocol.Event
			if json.Unmarshal(data, &ev) != nil {
				continue
			}
			select {
			case c.events <- ev:
			case <-c.closing:
				return
			}
			if ev.Seq > 0 {
				c.lastSeq.Store(ev.Seq)
			}
		case protocol.OpSynced:
			var s protocol.Synced
			json.Unmarshal(data, &s)
			select {
			case c.synced <- s.Head:
			default:
			}
		default:
			c.mu.Lock()
			ch := c.waiting[f.ID]
			delete(c.waiting, f.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- data
			}
		}
	}
}

// do sends a request and waits for its answer, decoding it into out.
func (c *Conn) do(ctx context.Context, req any, setID func(int64), out any) error {
	ch := make(chan json.RawMessage, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.nextID++
	id := c.nextID
	c.waiting[id] = ch
	c.mu.Unlock()
	setID(id)
	c.wmu.Lock()
	err := c.ws.WriteJSON(req)
	c.wmu.Unlock()
	if err != nil {
		c.mu.Lock()
		delete(c.waiting, id)
		c.mu.Unlock()
		return err
	}
	select {
	case data, ok := <-ch:
		if !ok {
			if err := c.Err(); err != nil {
				return err
			}
			return ErrClosed
		}
		var f protocol.Frame
		json.Unmarshal(data, &f)
		if f.Op == protocol.OpError {
			var e protocol.Error
			json.Unmarshal(data, &e)
			return &Error{Code: e.Code, Message: e.Message, Field: e.Field}
		}
		if out != nil {
			return json.Unmarshal(data, out)
		}
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiting, id)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Send sends a C2C message as the logged-in user.
func (c *Conn) Send(ctx context.Context, m protocol.Send) (protocol.Sent, error) {
	m.Op = protocol.OpSend
	var out protocol.Sent
	err := c.do(ctx, &m, func(id int64) { m.ID = id }, &out)
	return out, err
}

// SendText sends a text message.
func (c *Conn) SendText(ctx context.Context, to, text string) (protocol.Sent, error) {
	body, _ := json.Marshal([]map[string]any{{"MsgType": "TIMTextElem", "MsgContent": map[string]string{"Text": text}}})
	return c.Send(ctx, protocol.Send{To: to, Random: uint32(time.Now().UnixNano()), Body: body})
}

// Ping asks the server for a pong.
func (c *Conn) Ping(ctx context.Context) error {
	f := protocol.Frame{Op: protocol.OpPing}
	return c.do(ctx, &f, func(id int64) { f.ID = id }, nil)
}

// Sync pulls the events after a sync number (at most 200; More says if
// there are others).
func (c *Conn) Sync(ctx context.Context, after uint64) (protocol.SyncOK, error) {
	req := protocol.Sync{Frame: protocol.Frame{Op: protocol.OpSync}, After: after}
	var out protocol.SyncOK
	err := c.do(ctx, &req, func(id int64) { req.ID = id }, &out)
	return out, err
}

// Read marks the conversation with peer read up to t (0: now) and returns
// its unread count.
func (c *Conn) Read(ctx context.Context, peer string, t int64) (int, error) {
	req := protocol.Read{Frame: protocol.Frame{Op: protocol.OpRead}, Peer: peer, Time: t}
	var out protocol.ReadOK
	err := c.do(ctx, &req, func(id int64) { req.ID = id }, &out)
	return out.Unread, err
}

// History fetches a page of the conversation with peer, newest first.
func (c *Conn) History(ctx context.Context, req protocol.History) (protocol.HistoryOK, error) {
	req.Op = protocol.OpHistory
	var out protocol.HistoryOK
	err := c.do(ctx, &req, func(id int64) { req.ID = id }, &out)
	return out, err
}

// Conversations fetches a page of the conversation list.
func (c *Conn) Conversations(ctx context.Context, req protocol.Conversations) (protocol.ConversationsOK, error) {
	req.Op = protocol.OpConversations
	var out protocol.ConversationsOK
	err := c.do(ctx, &req, func(id int64) { req.ID = id }, &out)
	return out, err
}

// Unread fetches the total unread count, or per peer.
func (c *Conn) Unread(ctx context.Context, peers ...string) (protocol.UnreadOK, error) {
	req := protocol.Unread{Frame: protocol.Frame{Op: protocol.OpUnread}, Peers: peers}
	var out protocol.UnreadOK
	err := c.do(ctx, &req, func(id int64) { req.ID = id }, &out)
	return out, err
}

// Pin pins or unpins a conversation (typ 1 C2C, 2 group).
func (c *Conn) Pin(ctx context.Context, typ int, peer string, pinned bool) error {
	req := protocol.Pin{Frame: protocol.Frame{Op: protocol.OpPin}, Type: typ, Peer: peer, Pinned: pinned}
	return c.do(ctx, &req, func(id int64) { req.ID = id }, nil)
}

// DeleteConversation deletes a conversation (and, with clearHistory, the
// user's history of it).
func (c *Conn) DeleteConversation(ctx context.Context, typ int, peer string, clearHistory bool) error {
	req := protocol.DeleteConversation{Frame: protocol.Frame{Op: protocol.OpDeleteConv}, Type: typ, Peer: peer, ClearHistory: clearHistory}
	return c.do(ctx, &req, func(id int64) { req.ID = id }, nil)
}

// Receipt sends read receipts for messages peer sent.
func (c *Conn) Receipt(ctx context.Context, peer string, keys ...string) error {
	req := protocol.Receipt{Frame: protocol.Frame{Op: protocol.OpReceipt}, Peer: peer, Keys: keys}
	return c.do(ctx, &req, func(id int64) { req.ID = id }, nil)
}

// Extension changes a message's extensions.
func (c *Conn) Extension(ctx context.Context, req protocol.Extension) (protocol.ExtensionOK, error) {
	req.Op = protocol.OpExtension
	var out protocol.ExtensionOK
	err := c.do(ctx, &req, func(id int64) { req.ID = id }, &out)
	return out, err
}

// Groups lists the groups the user is in, with their newest seqs.
func (c *Conn) Groups(ctx context.Context) (protocol.GroupsOK, error) {
	f := protocol.Frame{Op: protocol.OpGroups}
	var out protocol.GroupsOK
	err := c.do(ctx, &f, func(id int64) { f.ID = id }, &out)
	return out, err
}

// GroupSync fetches a group's messages after a seq, ascending.
func (c *Conn) GroupSync(ctx context.Context, group string, after uint64) (protocol.GroupSyncOK, error) {
	req := protocol.GroupSync{Frame: protocol.Frame{Op: protocol.OpGroupSync}, Group: group, After: after}
	var out protocol.GroupSyncOK
	err := c.do(ctx, &req, func(id int64) { req.ID = id }, &out)
	return out, err
}

// GroupSend sends a group message as the logged-in user.
func (c *Conn) GroupSend(ctx context.Context, m protocol.GroupSend) (protocol.GroupSent, error) {
	m.Op = protocol.OpGroupSend
	var out protocol.GroupSent
	err := c.do(ctx, &m, func(id int64) { m.ID = id }, &out)
	return out, err
}

// GroupSendText sends a text message to a group.
func (c *Conn) GroupSendText(ctx context.Context, group, text string) (protocol.GroupSent, error) {
	body, _ := json.Marshal([]map[string]any{{"MsgType": "TIMTextElem", "MsgContent": map[string]string{"Text": text}}})
	return c.GroupSend(ctx, protocol.GroupSend{Group: group, Random: uint32(time.Now().UnixNano()), Body: body})
}

// GroupRead marks a group read up to seq (0: all) and returns its unread count.
func (c *Conn) GroupRead(ctx context.Context, group string, seq uint64) (int, error) {
	req := protocol.GroupRead{Frame: protocol.Frame{Op: protocol.OpGroupRead}, Group: group, Seq: seq}
	var out protocol.ReadOK
	err := c.do(ctx, &req, func(id int64) { req.ID = id }, &out)
	return out.Unread, err
}

// GroupHistory fetches a page of a group's history, newest first.
func (c *Conn) GroupHistory(ctx context.Context, req protocol.GroupHistory) (protocol.GroupHistoryOK, error) {
	req.Op = protocol.OpGroupHistory
	var out protocol.GroupHistoryOK
	err := c.do(ctx, &req, func(id int64) { req.ID = id }, &out)
	return out, err
}

// GroupJoin joins a group that lets anyone in, or enters an AVChatRoom.
func (c *Conn) GroupJoin(ctx context.Context, group string) error {
	req := protocol.GroupJoin{Frame: protocol.Frame{Op: protocol.OpGroupJoin}, Group: group}
	return c.do(ctx, &req, func(id int64) { req.ID = id }, nil)
}

// GroupQuit leaves a group (or an AVChatRoom).
func (c *Conn) GroupQuit(ctx context.Context, group string) error {
	req := protocol.GroupJoin{Frame: protocol.Frame{Op: protocol.OpGroupQuit}, Group: group}
	return c.do(ctx, &req, func(id int64) { req.ID = id }, nil)
}
