package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parleyim/parley/internal/core"
	"github.com/parleyim/parley/protocol"
)

// session is one device's connection. Its reader goroutine (run) reads and
// answers requests one at a time; frames leave through a bounded queue that
// a writer goroutine drains — started when frames arrive and gone when the
// queue is empty, so an idle session costs one goroutine.
//
// Ordering: each user event carries its sync number. A session delivers
// them strictly in order: an event that leaves a gap makes it fetch the
// missing ones from the store first (events of one user committed on
// another node may arrive out of order); older ones are dropped.
type session struct {
	g    *Gateway
	conn *websocket.Conn
	id   string

	// Set once at login.
	key       userKey
	platform  string
	device    string
	pushToken string
	sigTime   int64  // when the login's UserSig was generated (Unix seconds)
	loginHead uint64 // the user's head when the login was accepted
	loggedIn  atomic.Bool
	kicked    atomic.Bool

	qmu      sync.Mutex // guards the outgoing queue
	queue    []outFrame
	writing  bool
	closing  bool
	inFlight int           // frames the writer took from queue and is writing
	room     chan struct{} // signalled when the writer finished a batch

	omu       sync.Mutex // guards the delivery order
	delivered uint64     // the last sync number queued
	filling   bool       // a catch-up from the store is running
	loginSync bool       // the running catch-up is the login's: end it with "synced"
	pending   []liveEvent

	closeOnce sync.Once

	groups sessionGroups // the groups whose events this session receives
}

// outFrame is a frame to write, or a control: a ping, or the final close.
type outFrame struct {
	data      []byte
	catchUp   bool // queued by a catch-up, which waits for room itself
	ping      bool
	close     bool
	closeCode int
	closeText string
}

var sessionIDs atomic.Uint64

func newSession(g *Gateway, conn *websocket.Conn) *session {
	s := &session{g: g, conn: conn, id: strconv.FormatUint(sessionIDs.Add(1), 36), room: make(chan struct{}, 1)}
	g.hub.track(s)
	return s
}

func (s *session) deviceKey() string {
	if s.device != "" {
		return s.platform + "/" + s.device
	}
	return s.platform + "/" + s.id
}

// run is the session's reader goroutine: login, then requests until the
// connection ends.
func (s *session) run() {
	defer s.finish()
	defer func() {
		if p := recover(); p != nil {
			s.g.Panics.Add(1)
			s.g.cfg.Logger.Error("panic in session", "panic", p)
		}
	}()
	s.conn.SetReadLimit(s.g.cfg.MaxFrameBytes)
	s.conn.SetPongHandler(func(string) error { return s.extendDeadline() })
	// Socket deadlines run on the real clock; cfg.Now is the logical one
	// (UserSig expiry, presence) and may be set by tests.
	s.conn.SetReadDeadline(time.Now().Add(s.g.cfg.LoginTimeout))
	if !s.login() {
		return
	}
	for {
		s.extendDeadline()
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			switch {
			case errors.Is(err, websocket.ErrReadLimit):
				// The WebSocket library has already sent this close.
				s.closeNow(websocket.CloseMessageTooBig, "frame too large")
			case isTimeout(err):
				s.closeNow(protocol.CloseIdle, "no frame for too long")
			}
			return
		}
		if typ != websocket.TextMessage {
			s.closeGracefully(protocol.CloseBadRequest, "frames are JSON text")
			return
		}
		s.handle(data)
	}
}

func (s *session) extendDeadline() error {
	return s.conn.SetReadDeadline(time.Now().Add(s.g.cfg.IdleTimeout))
}

// finish cleans up after the reader ends.
func (s *session) finish() {
	if s.loggedIn.Load() {
		s.leaveAllGroups()
		s.g.hub.leave(s)
	}
	s.conn.Close()
	s.g.hub.untrack(s)
}

// login reads and checks the first frame, joins the hub and starts the
// catch-up the device asked for. It reports false after refusing.
func (s *session) login() bool {
	typ, data, err := s.conn.ReadMessage()
	if err != nil {
		if isTimeout(err) {
			s.closeNow(protocol.CloseLoginTimeout, "no login frame in time")
		}
		return false
	}
	var req protocol.Login
	if typ != websocket.TextMessage || json.Unmarshal(data, &req) != nil || req.Op != protocol.OpLogin {
		s.refuseLogin(req.ID, protocol.CodeInvalid, "the first frame must be a login", protocol.CloseBadRequest)
		return false
	}
	sigTime, code, msg, close := s.g.checkLogin(&req)
	if code != 0 {
		s.refuseLogin(req.ID, code, msg, close)
		return false
	}
	s.key = userKey{core.AppID(req.SDKAppID), req.User}
	s.sigTime = sigTime
	s.platform, s.device, s.pushToken = req.Platform, req.Device, req.PushToken
	// Live events wait in pending until the catch-up below is done. The
	// session subscribes before it reads the head, so no event falls
	// between the two.
	s.omu.Lock()
	s.filling = true
	s.omu.Unlock()
	if err := s.g.hub.join(s); err != nil {
		s.refuseLogin(req.ID, protocol.CodeInternal, "cannot subscribe", websocket.CloseInternalServerErr)
		return false
	}
	s.loggedIn.Store(true)
	s.joinGroups(s.g.svc.JoinedGroupIDs(s.key.app, s.key.user)...)
	head, err := s.g.svc.InboxHead(s.g.ctx, s.key.app, s.key.user)
	if err != nil {
		s.refuseLogin(req.ID, protocol.CodeInternal, "cannot read the inbox", websocket.CloseInternalServerErr)
		return false
	}
	s.omu.Lock()
	s.loginHead = head
	s.send(protocol.LoginOK{Frame: protocol.Frame{ID: req.ID, Op: protocol.OpOK}, Head: head, ServerTime: s.g.svc.Now(), Session: s.id})
	// Without sync_from (or with one beyond the head, which a device can
	// only have from another store) the device starts from the head.
	s.delivered = head
	if req.SyncFrom != nil && *req.SyncFrom < head {
		s.delivered = *req.SyncFrom
	}
	s.loginSync = true
	s.omu.Unlock()
	go s.fill(head)
	return true
}

// checkLogin verifies a login: app, UserSig (generated for this user, not
// expired, not from before a kick), platform, account. It returns the
// UserSig's generation time, or the refusal's code, text and close code.
func (g *Gateway) checkLogin(req *protocol.Login) (sigTime int64, code int, msg string, closeCode int) {
	app := g.svc.App(core.AppID(req.SDKAppID))
	if app == nil {
		return 0, protocol.CodeUnauthorized, "unknown sdkappid", protocol.CloseUnauthorized
	}
	if !slices.Contains(protocol.Platforms, req.Platform) {
		return 0, protocol.CodeInvalid, "platform must be one of iPhone, Android, Web, PC, iPad, Mac", protocol.CloseBadRequest
	}
	claims, err := g.sigs.Verify(req.UserSig, req.SDKAppID, string(app.Key), req.User, g.cfg.Now())
	if err != nil {
		return 0, protocol.CodeUnauthorized, "UserSig refused: " + err.Error(), protocol.CloseUnauthorized
	}
	if !g.svc.SignatureStillValid(app.ID, req.User, claims.Time) {
		return 0, protocol.CodeUnauthorized, "UserSig was generated before the user was kicked", protocol.CloseKicked
	}
	if !g.svc.AccountExists(app.ID, req.User) {
		return 0, protocol.CodeNotFound, "account not imported", protocol.CloseNotImported
	}
	return claims.Time, 0, "", 0
}

func (s *session) refuseLogin(id int64, code int, msg string, closeCode int) {
	s.send(protocol.Error{Frame: protocol.Frame{ID: id, Op: protocol.OpError}, Code: code, Message: msg})
	s.closeGracefully(closeCode, msg)
	// Wait (bounded) for the writer to flush the refusal and close.
	s.conn.SetReadDeadline(time.Now().Add(s.g.cfg.WriteTimeout))
	for {
		if _, _, err := s.conn.ReadMessage(); err != nil {
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// send encodes v and queues it.
func (s *session) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.g.cfg.Logger.Error("encode frame", "err", err)
		return
	}
	s.enqueue(outFrame{data: b})
}

// deliver takes a live event of the user, keeping sync order.
func (s *session) deliver(ev liveEvent) {
	if ev.seq == 0 { // online-only: not numbered, not synced
		s.enqueue(outFrame{data: ev.frame})
		return
	}
	s.omu.Lock()
	defer s.omu.Unlock()
	switch {
	case s.filling:
		if len(s.pending) >= s.g.cfg.QueueFrames {
			go s.closeNow(protocol.CloseSlow, "too far behind")
			return
		}
		s.pending = append(s.pending, ev)
	case ev.seq <= s.delivered:
	case ev.seq == s.delivered+1:
		s.emitLocked(ev)
	default: // a gap: fetch what is missing first
		s.filling = true
		s.pending = append(s.pending, ev)
		go s.fill(ev.seq)
	}
}

// emitLocked queues a live event in order. Caller holds omu.
//
// A kick ends the session after its frame when it came after the login
// (the device was online when the user was kicked), or when it came before
// but the session's UserSig is older than the user's last kick. A device
// that logs in with a fresh UserSig and catches up past an old kick sees
// the kick event and stays.
func (s *session) emitLocked(ev liveEvent) {
	s.delivered = ev.seq
	s.enqueue(outFrame{data: ev.frame, catchUp: ev.catchUp})
	if ev.flags&flagMembership != 0 {
		s.followMembership(ev.frame)
	}
	if ev.flags&flagKick != 0 && (ev.seq > s.loginHead || !s.g.svc.SignatureStillValid(s.key.app, s.key.user, s.sigTime)) {
		s.kicked.Store(true)
		s.closeGracefully(protocol.CloseKicked, "kicked")
	}
}

// fill catches up from the store until every event up to target was queued
// and no pending live event is left waiting on a gap. It runs on its own
// goroutine while filling is set; live events wait in pending meanwhile.
//
// A catch-up goes at the device's pace: before each batch it waits until
// the writer has no more than half of QueueFrames waiting, and its batches
// are at most that size. Its frames never count as the device being slow
// (a backlog of thousands of events must not end the session it is
// delivered on); live events piling up in pending meanwhile do.
func (s *session) fill(target uint64) {
	ctx := s.g.ctx
	batch := min(200, max(1, s.g.cfg.QueueFrames/2))
	waits := 0
	for {
		if !s.waitRoom(ctx, s.g.cfg.QueueFrames/2) {
			return
		}
		s.omu.Lock()
		after := s.delivered
		s.omu.Unlock()
		entries, err := s.g.svc.Sync(ctx, s.key.app, s.key.user, after, batch)
		if err != nil {
			s.closeNow(websocket.CloseInternalServerErr, "cannot read the inbox")
			return
		}
		s.omu.Lock()
		// Sync numbers are assigned in commit order, so a missing event
		// older than one the store returns, or than the login's head, is
		// not late: retention purged it (it is older than the roaming
		// period). The device sees the sequence jump past it.
		switch {
		case len(entries) > 0 && entries[0].Seq > s.delivered+1:
			s.delivered = entries[0].Seq - 1
		case len(entries) == 0 && s.delivered < s.loginHead:
			s.delivered = s.loginHead
		}
		for i := range entries {
			e := &entries[i]
			if e.Seq != s.delivered+1 {
				continue
			}
			frame, err := json.Marshal(eventFrame(e))
			if err != nil {
				continue
			}
			flags := membershipFlag(e.Kind)
			if e.Kind == core.EventKick {
				flags |= flagKick
			}
			s.emitLocked(liveEvent{seq: e.Seq, flags: flags, frame: frame, catchUp: true})
		}
		slices.SortFunc(s.pending, func(a, b liveEvent) int { return cmpSeq(a.seq, b.seq) })
		rest := s.pending[:0]
		for _, ev := range s.pending {
			switch {
			case ev.seq <= s.delivered:
			case ev.seq == s.delivered+1:
				ev.catchUp = true
				s.emitLocked(ev)
			default:
				rest = append(rest, ev)
			}
		}
		s.pending = rest
		target = max(target, lastSeq(rest))
		if len(entries) < batch && len(rest) == 0 && s.delivered >= target {
			s.filling = false
			if s.loginSync {
				s.loginSync = false
				s.send(protocol.Synced{Frame: protocol.Frame{Op: protocol.OpSynced}, Head: s.delivered})
			}
			s.omu.Unlock()
			return
		}
		s.omu.Unlock()
		if len(entries) < batch {
			// What is missing is not readable yet: wait a little, then give
			// up and let the device resync rather than skip anything.
			if waits++; waits > 50 {
				s.closeNow(protocol.CloseSlow, "cannot catch up")
				return
			}
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
				return
			}
		}
	}
}

// waitRoom waits until at most n frames wait for the writer. It reports
// false when the session is closing or the gateway stops.
func (s *session) waitRoom(ctx context.Context, n int) bool {
	for {
		s.qmu.Lock()
		backlog, closing := len(s.queue)+s.inFlight, s.closing
		s.qmu.Unlock()
		switch {
		case closing:
			return false
		case backlog <= n:
			return true
		}
		select {
		case <-s.room:
		case <-ctx.Done():
			return false
		}
	}
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func lastSeq(evs []liveEvent) uint64 {
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].seq
}

// enqueue queues a frame for the writer, starting it if idle. A session
// whose queue is full is closed with CloseSlow: nobody waits for a slow
// device, and it resyncs from its inbox when it comes back.
func (s *session) enqueue(f outFrame) {
	s.qmu.Lock()
	if s.closing {
		s.qmu.Unlock()
		return
	}
	if len(s.queue) >= s.g.cfg.QueueFrames && !f.close && !f.catchUp {
		s.qmu.Unlock()
		go s.closeNow(protocol.CloseSlow, "too slow")
		return
	}
	s.queue = append(s.queue, f)
	if f.close {
		s.closing = true
	}
	start := !s.writing
	s.writing = true
	s.qmu.Unlock()
	if start {
		go s.writeLoop()
	}
}

// writeLoop writes queued frames until the queue is empty.
func (s *session) writeLoop() {
	for {
		s.qmu.Lock()
		batch := s.queue
		s.queue, s.inFlight = nil, len(batch)
		if len(batch) == 0 {
			s.writing = false
			s.qmu.Unlock()
			return
		}
		s.qmu.Unlock()
		for _, f := range batch {
			if !s.write(f) {
				s.conn.Close()
				s.drop()
				return
			}
		}
		s.qmu.Lock()
		s.inFlight = 0
		s.qmu.Unlock()
		s.signalRoom()
	}
}

// drop abandons the queue after the connection failed.
func (s *session) drop() {
	s.qmu.Lock()
	s.queue, s.writing, s.closing, s.inFlight = nil, false, true, 0
	s.qmu.Unlock()
	s.signalRoom()
}

// signalRoom wakes a catch-up waiting for the writer.
func (s *session) signalRoom() {
	select {
	case s.room <- struct{}{}:
	default:
	}
}

// write writes one frame; false ends the connection.
func (s *session) write(f outFrame) bool {
	deadline := time.Now().Add(s.g.cfg.WriteTimeout)
	switch {
	case f.ping:
		return s.conn.WriteControl(websocket.PingMessage, nil, deadline) == nil
	case f.close:
		s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(f.closeCode, f.closeText), deadline)
		return false
	}
	s.conn.SetWriteDeadline(deadline)
	return s.conn.WriteMessage(websocket.TextMessage, f.data) == nil
}

// closeGracefully queues a bye frame and the close after the frames already
// queued.
func (s *session) closeGracefully(code int, text string) {
	s.closeOnce.Do(func() {
		s.send(protocol.Bye{Frame: protocol.Frame{Op: protocol.OpBye}, Code: code, Message: text})
		s.enqueue(outFrame{close: true, closeCode: code, closeText: text})
	})
}

// closeNow drops the queued frames and closes (a slow, idle or broken
// session). The close frame follows the frame being written, if any; it
// waits for room on the socket up to WriteTimeout, so that a device that is
// slow but still reading learns why (CloseSlow), while a stuck one is cut
// off then.
func (s *session) closeNow(code int, text string) {
	s.closeOnce.Do(func() {
		s.qmu.Lock()
		s.queue, s.closing = nil, true
		s.qmu.Unlock()
		s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(s.g.cfg.WriteTimeout))
		s.conn.Close()
	})
}

// ctx is the context of a request: the gateway's, bounded in time.
func (s *session) requestContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.g.ctx, 10*time.Second)
}
