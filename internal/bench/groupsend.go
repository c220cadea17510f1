package bench

import (
	"context"
	"fmt"
	"sync"
)

// groupSendMembers is how many members each of groupsend's groups has (the
// owner among them). None is online.
const groupSendMembers = 3

// groupSendSetup is how many create_group requests run at once while
// groupsend makes its groups.
const groupSendSetup = 8

// groupSendIDs returns the custom IDs of groupsend's first n groups: the
// same at every size, so the 1-group run sends into the first of the
// 1000-group run's groups, and a run against a server reuses the groups of
// an earlier one.
func groupSendIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-send-%06d", i)
	}
	return ids
}

// groupsend posts send_group_msg from Clients keep-alive connections, each
// a text message from one of the group's members (in turn), into one group
// or, round robin, into many: one row per entry of Groups
// ("groupsend-1group", "groupsend-1000groups"). The groups are Public with
// groupSendMembers offline members ("bg000000" …), made once per run (or
// found from an earlier one). Frequency control must be off on the server
// (an in-process server has it off; "parley serve --group-msg-rate -1"):
// a dropped message is an error. Latency: the request's.
func (e *env) groupsend(ctx context.Context) ([]Result, error) {
	t := e.t
	members := userNames("bg", groupSendMembers)
	if err := t.importUsers(ctx, members); err != nil {
		return nil, err
	}
	r := newREST(t, max(e.cfg.Clients, groupSendSetup))
	defer r.Close()
	var rows []Result
	for _, n := range e.cfg.Groups {
		if ctx.Err() != nil {
			break
		}
		ids := groupSendIDs(n)
		if err := e.ensureSendGroups(ctx, r, ids, members); err != nil {
			return rows, err
		}
		name := fmt.Sprintf("groupsend-%dgroups", n)
		if n == 1 {
			name = "groupsend-1group"
		}
		fmt.Fprintf(e.cfg.Progress, "  %s: %d groups of %d members ready\n", name, n, groupSendMembers)
		body := textBody(e.cfg.BodyBytes)
		rnd := newRandoms()
		ws := r.workers("group_open_http_svc/send_group_msg", e.cfg.Clients)
		l := e.newLoad(name)
		l.op = func(ctx context.Context, c *call) error {
			s := &ws[c.Worker]
			s.req = appendSendGroupMsg(s.req[:0], ids[c.Seq%int64(n)], members[c.Seq%groupSendMembers], rnd.next(), body)
			if err := r.post(ctx, s.url, s.req, &s.buf); err != nil {
				return err
			}
			_, err := sentGroupMsg(s.buf.Bytes())
			return err
		}
		out, stats := e.measure(ctx, t, l)
		res := results("groupsend", name, "http", t, l, out, stats)
		into := "one Public group"
		if n > 1 {
			into = fmt.Sprintf("%d Public groups, round robin,", n)
		}
		res[0].Notes = append(res[0].Notes, fmt.Sprintf("send_group_msg into %s of %d offline members, %d-byte text, frequency control off",
			into, groupSendMembers, e.cfg.BodyBytes))
		rows = append(rows, res...)
	}
	return rows, nil
}

// ensureSendGroups makes the groups of ids not made yet in this run,
// groupSendSetup at a time.
func (e *env) ensureSendGroups(ctx context.Context, r *rest, ids, members []string) error {
	t := e.t
	t.mu.Lock()
	if t.groups == nil {
		t.groups = map[string]bool{}
	}
	var todo []string
	for _, id := range ids {
		if !t.groups[id] {
			todo = append(todo, id)
		}
	}
	t.mu.Unlock()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	ch := make(chan string)
	for range groupSendSetup {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ch {
				err := t.ensureGroup(ctx, r, groupSpec{id: id, typ: "Public", owner: members[0], members: members[1:]})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				if err == nil {
					t.mu.Lock()
					t.groups[id] = true
					t.mu.Unlock()
				}
			}
		}()
	}
	for _, id := range todo {
		if ctx.Err() != nil {
			break
		}
		ch <- id
	}
	close(ch)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
