package bench

import (
	"net"
	"testing"
)

func TestDialerSpreadsSourceAddresses(t *testing.T) {
	s, err := StartNull("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tg, err := newTarget(s.URL(), 1400000001, "key", "administrator", proc{})
	if err != nil {
		t.Fatal(err)
	}
	d := newDialer(tg, 2*connsPerAddr+1, connsEvents)
	if len(d.dialers) != 3 {
		t.Fatalf("%d connections: %d source addresses, want 3", 2*connsPerAddr+1, len(d.dialers))
	}
	addr := s.ln.Addr().String()
	for i, want := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		c, err := d.dialers[i].NetDialContext(t.Context(), "tcp", addr)
		if err != nil {
			t.Fatalf("dial from source %d: %v", i, err)
		}
		if got := c.LocalAddr().(*net.TCPAddr).IP.String(); got != want {
			t.Errorf("source %d: local address %s, want %s", i, got, want)
		}
		c.Close()
	}
	// Device i logs in from source i mod 3.
	conn, err := d.dial(t.Context(), 4, "bc000004")
	if err != nil {
		t.Fatalf("log in from 127.0.0.2: %v", err)
	}
	conn.Close()
	if one := newDialer(tg, connsPerAddr, connsEvents); len(one.dialers) != 1 {
		t.Errorf("%d connections: %d source addresses, want 1", connsPerAddr, len(one.dialers))
	}
}
