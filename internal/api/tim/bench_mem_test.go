package tim_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parleyim/parley/internal/parleytest"
)

// BenchmarkSendMsgMemory is BenchmarkSendMsg on the memory store: the cost
// of HTTP, decoding and core without durability.
func BenchmarkSendMsgMemory(b *testing.B) {
	n := parleytest.Start(b)
	users := benchUsers(b, n, 1000)
	url := n.AdminURL(b, "openim/sendmsg")
	runLoad(b, 16, url, func(i int) []byte {
		from, to := users[rand.IntN(len(users))], users[rand.IntN(len(users))]
		return fmt.Appendf(nil, `{"From_Account":%q,"To_Account":%q,"MsgRandom":%d,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"benchmark message number %d"}}]}`,
			from, to, rand.Uint32(), i)
	})
}
