package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"syscall"

	"github.com/parleyim/parley/client"
)

// timError is a v4 answer whose ErrorCode is not 0.
type timError struct {
	Code int
	Info string
}

func (e *timError) Error() string { return fmt.Sprintf("ErrorCode %d: %s", e.Code, e.Info) }

// statusError is an HTTP answer other than 200.
type statusError struct {
	Status int
	Body   string // the first bytes, for the example
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

var (
	// errNoFrame: the request succeeded but the receiving device did not get
	// the message within the operation's timeout.
	errNoFrame = errors.New("the receiver's frame did not arrive within the timeout")
	// errBehind: an open-loop operation could not even start within its
	// timeout because every worker was busy. It counts as a timeout, as it
	// would for the user who was due to send then.
	errBehind = errors.New("not started within the timeout: every worker was busy (raise --clients or lower --rate)")
	// errDropped: an idle connection ended during the conns scenario.
	errDropped = errors.New("an idle connection was closed")
	// errEmptyPage: a history page came back empty although the conversation
	// holds messages in the asked range.
	errEmptyPage = errors.New("admin_getroammsg returned no messages")
	// errFreqCtrl: send_group_msg answered OK with MsgDropReason: the
	// server's group frequency control dropped the message.
	errFreqCtrl = errors.New("send_group_msg dropped by frequency control (MsgDropReason): run the server with --group-msg-rate -1")
	// errWrongPage: a group_msg_get_simple page does not start at the
	// asked ReqMsgSeq although the group holds it.
	errWrongPage = errors.New("group_msg_get_simple did not answer the asked message")
	// errDisorder: a fanout member got a group message twice or after a
	// later one.
	errDisorder = errors.New("a member got a group message twice or out of order")
)

// errorKind names the class of err for the errors table: the Tencent
// ErrorCode ("tim 90001"), the HTTP status ("http 502"), the protocol code
// or close code of a WebSocket refusal ("ws 404", "ws close 4008"), or the
// kind of transport failure ("timeout", "conn refused" …). Unknown errors are
// "other"; the table shows an example of each kind.
func errorKind(err error) string {
	var te *timError
	var se *statusError
	var we *client.Error
	var ce *client.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &te):
		return "tim " + strconv.Itoa(te.Code)
	case errors.As(err, &se):
		return "http " + strconv.Itoa(se.Status)
	case errors.As(err, &we):
		return "ws " + strconv.Itoa(we.Code)
	case errors.As(err, &ce):
		return "ws close " + strconv.Itoa(ce.Code)
	case errors.Is(err, errNoFrame):
		return "no frame"
	case errors.Is(err, errBehind):
		return "behind schedule"
	case errors.Is(err, errDropped):
		return "dropped"
	case errors.Is(err, errEmptyPage):
		return "empty page"
	case errors.Is(err, errFreqCtrl):
		return "freq ctrl"
	case errors.Is(err, errWrongPage):
		return "wrong page"
	case errors.Is(err, errDisorder):
		return "disorder"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "conn refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "conn reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files"
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return "no local port"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, client.ErrClosed):
		return "ws closed"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other"
}

// ErrorCount is how often one kind of error happened, with the text of the
// first one.
type ErrorCount struct {
	Kind    string `json:"kind"`
	Count   int64  `json:"count"`
	Example string `json:"example"`
}

// tally counts errors by kind. Each worker keeps its own; the run merges
// them. The zero value is not usable: make one with make(tally).
type tally map[string]*ErrorCount

// add counts err (nil is not counted).
func (t tally) add(err error) {
	if err == nil {
		return
	}
	t.addN(errorKind(err), 1, err.Error())
}

// addN counts n errors of kind; example is kept if it is the first.
func (t tally) addN(kind string, n int64, example string) {
	e := t[kind]
	if e == nil {
		if len(example) > 200 {
			example = example[:200] + "…"
		}
		e = &ErrorCount{Kind: kind, Example: example}
		t[kind] = e
	}
	e.Count += n
}

// merge adds o's counts to t.
func (t tally) merge(o tally) {
	for _, e := range o {
		t.addN(e.Kind, e.Count, e.Example)
	}
}

// total is the number of errors counted.
func (t tally) total() int64 {
	var n int64
	for _, e := range t {
		n += e.Count
	}
	return n
}

// sorted lists the kinds, most frequent first (then by name).
func (t tally) sorted() []ErrorCount {
	out := make([]ErrorCount, 0, len(t))
	for _, e := range t {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b ErrorCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind, b.Kind)
	})
	return out
}
