package core

import (
	"context"
	"errors"
)

// ErrClosed is returned by a store after Close.
var ErrClosed = errors.New("store closed")

// Store is everything core persists. Implementations live under
// internal/store, are safe for concurrent use, and pass storetest.Run.
type Store interface {
	AccountStore
	C2CStore
	// Close flushes pending writes and releases the store. Calls after
	// Close return ErrClosed.
	Close() error
}

// AccountStore persists imported accounts.
type AccountStore interface {
	// PutAccounts creates each account or, when it already exists (live or
	// deleted), revives it and overwrites Nick and FaceURL where the new
	// value is not empty. Created is kept from the first import. All or none
	// are stored.
	PutAccounts(ctx context.Context, accts []Account) error

	// DeleteAccounts deletes the accounts and reports, for each id, whether
	// it was live before. Deleting an unknown account is not an error.
	DeleteAccounts(ctx context.Context, app AppID, ids []string) (existed []bool, err error)

	// ScanAccounts calls fn with every live account of every app, in no
	// particular order, stopping at the first error fn returns.
	ScanAccounts(ctx context.Context, fn func(Account) error) error

	// SetKickedAt records that UserSigs of the live account generated
	// before t are no longer accepted. It reports false for an unknown account.
	SetKickedAt(ctx context.Context, app AppID, id string, t int64) (bool, error)
}

// C2CQuery selects a page of one conversation's history as one side sees it.
type C2CQuery struct {
	App     AppID
	Owner   string // the side whose history is read
	Peer    string
	MinTime int64 // inclusive, Unix seconds
	MaxTime int64 // inclusive, Unix seconds
	// Before, when set, keeps only messages strictly before it in history order.
	Before *HistoryCursor
	Limit  int
}

// C2CStore persists single-chat messages.
type C2CStore interface {
	// AppendC2C stores msgs in one transaction, in order, and sets each new
	// message's ID. A message equal to one already stored under its de-dup
	// rule is not stored again; instead dup[i] is true and msgs[i].ID is set
	// to the stored message's ID. The rules: for OriginImport, same
	// conversation in either direction with the same Seq, Random and Time;
	// for every other origin, the same From, To, Seq, Random and Time.
	// Duplicates inside msgs follow the same rules. On error nothing was stored.
	AppendC2C(ctx context.Context, msgs []*C2CMessage) (dup []bool, err error)

	// C2CHistory returns up to q.Limit messages of the conversation between
	// q.Owner and q.Peer that q.Owner's history shows, with Time in
	// [q.MinTime, q.MaxTime] and before q.Before, newest first.
	C2CHistory(ctx context.Context, q C2CQuery) ([]C2CMessage, error)

	// FindC2C returns the messages of the conversation between a and b
	// (either direction) whose MsgKey is key, in history order; usually one.
	FindC2C(ctx context.Context, app AppID, a, b string, key MsgKey) ([]C2CMessage, error)

	// PurgeC2C deletes app's messages with Time before before and reports
	// how many it deleted.
	PurgeC2C(ctx context.Context, app AppID, before int64) (int64, error)
}
