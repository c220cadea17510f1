// Package bench is Parley's load generator, run as "parley bench": it drives
// a running server at any URL, or starts one in this process, through a set
// of scenarios, and reports throughput, latency percentiles (HDR
// histograms), errors by code, the server's CPU and memory, and each result
// as a ratio of the machine's ceiling measured in the same run.
//
// # Scenarios
//
//   - sendmsg: v4/openim/sendmsg from --clients keep-alive connections
//     between random accounts of a --users pool.
//   - e2e: sendmsg to receivers connected over WebSocket (package client);
//     latency from the request's start to the receiver's frame, matched by
//     MsgRandom (unique per run). Row e2e/rest is the REST answer alone.
//   - device: device-to-device sends over WebSocket, one pair per client;
//     latency until the peer's frame, and (device/ack) until the sender's ack.
//   - history: admin_getroammsg pages (--page) ending at random times in one
//     conversation pre-filled with --prefill messages (row history/prefill;
//     in-process through core, remotely with importmsg; skipped when a run
//     the same day already filled it).
//   - conns: --conns idle devices, held for --duration; server RSS before
//     and after, and bytes per connection.
//   - ceiling: the sendmsg, e2e and device loads against NullServer, which
//     answers the same envelope and frames without doing any work
//     (ceiling-http, ceiling-e2e, ceiling-ws). Rows of the same shape
//     (sendmsg and history: http; e2e; device: ws) get a "vs ceiling" ratio
//     of their throughput.
//
// # Load
//
// Closed loop (the default) runs --clients workers back to back: the most
// the server can do. Open loop (--rate R) due-dates operation i at t0 + i/R
// and measures its latency from then, not from when a worker got to it, so
// a stall shows in every operation it delayed instead of being hidden
// (coordinated omission); an operation that cannot start within --timeout
// is an error. Each scenario runs --warmup unmeasured, then --duration
// measured. Every failure is counted by kind — a Tencent ErrorCode
// ("tim 20003"), an HTTP status, a WebSocket code, or a transport failure —
// and a run with any says so on its last line and exits 1.
//
// # Where the numbers come from
//
// Without --url the server runs in this process (SQLite in a temporary
// directory unless --store says otherwise), and its CPU and RSS, read from
// /proc/self, include the load generator: the table says so. For server
// numbers alone, run the server as its own process and name it:
//
//	parley serve --listen 127.0.0.1:8080 --store sqlite:/tmp/bench.db --app 1400000001 --key KEY &
//	parley bench --serve-null 127.0.0.1:8081 &
//	parley bench --url http://127.0.0.1:8080 --sdkappid 1400000001 --key KEY --server-pid PID1 \
//	    --ceiling-url http://127.0.0.1:8081 --ceiling-pid PID2 --scenario all --json report.json
//
// scripts/bench.sh (make bench) does exactly that for every scenario at the
// sizes docs/perf.md reports.
//
// # Examples
//
//	parley bench --scenario all                           # everything, in-process, about 2 minutes
//	parley bench --scenario ceiling,sendmsg --clients 16  # throughput and its ratio to the ceiling
//	parley bench --scenario ceiling,e2e --rate 2000       # REST → device latency at 2,000 msg/s
//	parley bench --scenario device --clients 1            # round trip at low load
//	parley bench --scenario history --prefill 1000000     # admin_getroammsg on a million messages
//	parley bench --scenario conns --conns 50000 --url …   # memory per idle connection
//
// conns spreads connections to a loopback server over source addresses
// 127.0.0.1, 127.0.0.2 … (20,000 each), so the count is bounded by open
// files rather than one address's ephemeral ports; Run raises RLIMIT_NOFILE
// to the hard limit and refuses a count that would not fit (two descriptors
// per connection in-process, one with --url).
package bench
