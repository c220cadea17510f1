package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/parleyim/parley/client"
)

func TestErrorKind(t *testing.T) {
	opErr := func(errno error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		err  error
		want string
	}{
		{&timError{Code: 20003, Info: "To_Account not imported"}, "tim 20003"},
		{fmt.Errorf("post: %w", &timError{Code: 90001}), "tim 90001"},
		{&statusError{Status: 502}, "http 502"},
		{&client.Error{Code: 404, Message: "no such account"}, "ws 404"},
		{&client.CloseError{Code: 4008, Text: "slow"}, "ws close 4008"},
		{client.ErrClosed, "ws closed"},
		{fmt.Errorf("MsgRandom 7: %w", errNoFrame), "no frame"},
		{errBehind, "behind schedule"},
		{errDropped, "dropped"},
		{errEmptyPage, "empty page"},
		{opErr(syscall.ECONNREFUSED), "conn refused"},
		{opErr(syscall.ECONNRESET), "conn reset"},
		{opErr(syscall.EPIPE), "broken pipe"},
		{opErr(syscall.EMFILE), "too many open files"},
		{opErr(syscall.EADDRNOTAVAIL), "no local port"},
		{context.DeadlineExceeded, "timeout"},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "eof"},
		{errors.New("something else"), "other"},
	}
	for _, tt := range tests {
		if got := errorKind(tt.err); got != tt.want {
			t.Errorf("errorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestTallyMergeAndSort(t *testing.T) {
	a, b := make(tally), make(tally)
	a.add(&timError{Code: 20003, Info: "first"})
	a.add(nil) // not an error: not counted
	b.add(&timError{Code: 20003, Info: "second"})
	b.add(&timError{Code: 20003, Info: "third"})
	b.add(errNoFrame)
	b.add(&statusError{Status: 500})
	a.merge(b)
	got := a.sorted()
	want := []ErrorCount{
		{Kind: "tim 20003", Count: 3, Example: "ErrorCode 20003: first"}, // the first example is kept
		{Kind: "http 500", Count: 1, Example: "HTTP 500: "},
		{Kind: "no frame", Count: 1, Example: errNoFrame.Error()},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("merged tally:\n got %v\nwant %v", got, want)
	}
	if n := a.total(); n != 5 {
		t.Errorf("total %d, want 5", n)
	}
}
