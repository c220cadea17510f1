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
//   - grouphistory: group_msg_get_simple pages (--page, at most 20) ending
//     at random ReqMsgSeqs of one group pre-filled with --prefill messages
//     (row grouphistory/prefill; in-process through core.Service.
//     SendGroupMessage, remotely with send_group_msg; skipped when the
//     group already holds them). Each page must start at the asked seq.
//   - groupsend: send_group_msg from --clients connections into one group
//     and, round robin, into many: one row per --groups count
//     (groupsend-1group, groupsend-1000groups); Public groups of three
//     offline members.
//   - fanout: one group of --members members (Public; a Community beyond
//     2,000), every one online with one device (spread over 127.0.0.x
//     source addresses); --messages send_group_msg one at a time (or at
//     --rate), each timed from the send until the first and until the last
//     member's device read its frame, matched by the answer's MsgSeq (rows
//     fanout/first and fanout/last; ops/s of fanout/last: member frames per
//     second while a message was in flight). A member without the frame
//     within --timeout is an error. The member devices log in as package
//     client does but find the MsgSeq in each frame's bytes instead of
//     decoding it: ten thousand of them share the machine with the server.
//   - conns: --conns idle devices, held for --duration; server RSS before
//     and after, and bytes per connection.
//   - ceiling: the loads of the other scenarios' shapes against NullServer,
//     which answers the same envelope and frames without doing any work:
//     ceiling-http (sendmsg, history, groupsend, grouphistory), ceiling-e2e,
//     ceiling-ws (device) and ceiling-fanout (one frame written to every
//     device); alone, the first three. Rows of the same shape get a "vs
//     ceiling" ratio of their throughput.
//
// Group frequency control (40 messages/s per group) would drop most of
// groupsend's and the group pre-fill's messages, and a dropped message is
// an error: an in-process server runs with it off; a server at --url must
// be started with "parley serve --group-msg-rate -1".
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
//	parley serve --listen 127.0.0.1:8080 --store sqlite:/tmp/bench.db --app 1400000001 --key KEY --group-msg-rate -1 &
//	parley bench --serve-null 127.0.0.1:8081 &
//	parley bench --url http://127.0.0.1:8080 --sdkappid 1400000001 --key KEY --server-pid PID1 \
//	    --ceiling-url http://127.0.0.1:8081 --ceiling-pid PID2 --scenario all --json report.json
//
// scripts/bench.sh (make bench) does exactly that for every scenario at the
// sizes docs/perf.md reports.
//
// # Examples
//
//	parley bench --scenario all                           # everything, in-process, about 2½ minutes
//	parley bench --scenario ceiling,sendmsg --clients 16  # throughput and its ratio to the ceiling
//	parley bench --scenario ceiling,e2e --rate 2000       # REST → device latency at 2,000 msg/s
//	parley bench --scenario device --clients 1            # round trip at low load
//	parley bench --scenario history --prefill 1000000     # admin_getroammsg on a million messages
//	parley bench --scenario conns --conns 50000 --url …   # memory per idle connection
//	parley bench --scenario ceiling,fanout --members 10000 --url … --ceiling-url …
//	parley bench --scenario groupsend --groups 1,1000     # send_group_msg into one group and into 1,000
//	parley bench --scenario grouphistory --prefill 1000000 --clients 1
//
// conns spreads connections to a loopback server over source addresses
// 127.0.0.1, 127.0.0.2 … (20,000 each; fanout 5,000 each), so the count is
// bounded by open files rather than one address's ephemeral ports; Run
// raises RLIMIT_NOFILE to the hard limit and refuses a count of conns or
// fanout members that would not fit (two descriptors per connection when
// the server or the null server is in this process, one otherwise).
package bench
