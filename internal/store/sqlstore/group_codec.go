package sqlstore

import (
	"encoding/binary"
	"errors"
	"slices"
	"strconv"

	"github.com/parleyim/parley/internal/core"
)

// Lists inside one column: a group's app-defined pairs and mutes, a
// member's app-defined pairs, a message's receivers and @-mentions. Each is
// a list of strings encoded as a uvarint count, then per string a uvarint
// length and its bytes: any byte may appear in a string, nil is NULL and
// an empty list is not (a message targeted at nobody differs from one for
// everyone). Decoding needs no reflection, which matters on the append
// path (every append returns its group).

var errBadList = errors.New("malformed list column")

// encodeStrings encodes ss; nil is NULL.
func encodeStrings(ss []string) any {
	if ss == nil {
		return nil
	}
	n := binary.MaxVarintLen64
	for _, s := range ss {
		n += binary.MaxVarintLen64 + len(s)
	}
	b := binary.AppendUvarint(make([]byte, 0, n), uint64(len(ss)))
	for _, s := range ss {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// decodeStrings decodes what encodeStrings stored; NULL is nil.
func decodeStrings(b []byte) ([]string, error) {
	if b == nil {
		return nil, nil
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errBadList
	}
	b = b[k:]
	out := make([]string, 0, n)
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, errBadList
		}
		out = append(out, string(b[k:k+int(l)]))
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, errBadList
	}
	return out, nil
}

// encodeKVs stores pairs as key, value, key, value …; none is NULL.
func encodeKVs(kvs []core.KV) any {
	if len(kvs) == 0 {
		return nil
	}
	ss := make([]string, 0, 2*len(kvs))
	for _, kv := range kvs {
		ss = append(ss, kv.Key, kv.Value)
	}
	return encodeStrings(ss)
}

func decodeKVs(b []byte) ([]core.KV, error) {
	ss, err := decodeStrings(b)
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	if len(ss)%2 != 0 {
		return nil, errBadList
	}
	kvs := make([]core.KV, len(ss)/2)
	for i := range kvs {
		kvs[i] = core.KV{Key: ss[2*i], Value: ss[2*i+1]}
	}
	return kvs, nil
}

// encodeMutes stores mutes as user, end (decimal), … in user order; none
// is NULL.
func encodeMutes(mutes map[string]int64) any {
	if len(mutes) == 0 {
		return nil
	}
	users := make([]string, 0, len(mutes))
	for u := range mutes {
		users = append(users, u)
	}
	slices.Sort(users)
	ss := make([]string, 0, 2*len(users))
	for _, u := range users {
		ss = append(ss, u, strconv.FormatInt(mutes[u], 10))
	}
	return encodeStrings(ss)
}

// decodeMutes decodes encodeMutes; none is a nil map.
func decodeMutes(b []byte) (map[string]int64, error) {
	ss, err := decodeStrings(b)
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	if len(ss)%2 != 0 {
		return nil, errBadList
	}
	mutes := make(map[string]int64, len(ss)/2)
	for i := 0; i < len(ss); i += 2 {
		until, err := strconv.ParseInt(ss[i+1], 10, 64)
		if err != nil {
			return nil, errBadList
		}
		mutes[ss[i]] = until
	}
	return mutes, nil
}
