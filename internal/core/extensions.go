package core

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Message extensions: key-value pairs attached to a message sent with
// SupportExtension. Every change takes the message's next extension Seq;
// callers other than admins must name the Seq of the pair they change, so
// two devices cannot overwrite each other unknowingly.

// Extension limits.
const (
	MaxExtensionsPerCall    = 20
	MaxExtensionsPerMessage = 300
	MaxExtensionKeyBytes    = 100
	MaxExtensionValueBytes  = 1000
	ExtensionPageSize       = 200
	// MaxExtensionOpsPerMinute bounds changes to one message's extensions.
	MaxExtensionOpsPerMinute = 200
)

// ExtensionOp is what SetC2CExtensions does.
type ExtensionOp uint8

const (
	ExtensionSet    ExtensionOp = 1 // set the given pairs
	ExtensionDelete ExtensionOp = 2 // delete the given keys
	ExtensionClear  ExtensionOp = 3 // delete every pair
)

// ExtensionChange is one pair to set or delete. Seq is the Seq the caller
// last saw for the key (0 for a new key); only checked when CheckSeq.
type ExtensionChange struct {
	Key   string
	Value string
	Seq   uint64
}

// ExtensionRequest changes a C2C message's extensions.
type ExtensionRequest struct {
	App   AppID
	From  string
	To    string
	Key   MsgKey
	Op    ExtensionOp
	Items []ExtensionChange
	// CheckSeq refuses a change whose Seq is not the key's current one
	// (Conflict). Admin calls skip the check.
	CheckSeq bool
}

// ExtensionResult is the outcome for one item: Err is nil, a Conflict
// (Extension then holds the stored pair) or TooLarge (the message is full).
type ExtensionResult struct {
	Err       error
	Extension Extension
}

// SetC2CExtensions sets, deletes or clears a message's extensions. Every
// accepted change of one call shares the message's next extension Seq.
// Refusals: Invalid (op, keys, values), TooLarge (FieldList: more than
// MaxExtensionsPerCall items), NotFound (FieldKey: no such message),
// Unsupported (sent without SupportExtension), RateLimited (more than
// MaxExtensionOpsPerMinute changes to the message in a minute).
func (s *Service) SetC2CExtensions(ctx context.Context, req *ExtensionRequest) ([]ExtensionResult, error) {
	if _, err := s.app(req.App); err != nil {
		return nil, err
	}
	if err := validateExtensionRequest(req); err != nil {
		return nil, err
	}
	if err := needUserID(req.From, FieldFrom); err != nil {
		return nil, err
	}
	if err := needUserID(req.To, FieldTo); err != nil {
		return nil, err
	}
	var results []ExtensionResult
	_, err := s.store.UpdateC2CExtensions(ctx, req.App, req.From, req.To, req.Key,
		func(m *C2CMessage, ext *Extensions) ([]InboxEvent, error) {
			if !m.Flags.Has(FlagSupportExtension) {
				return nil, Errorf(Unsupported, FieldKey, "message %s does not support extensions", req.Key)
			}
			if !s.extLimit.allow(m.App, m.ID, s.now()) {
				return nil, Errorf(RateLimited, FieldKey, "too many extension changes to %s", req.Key)
			}
			results = applyExtensions(req, ext)
			return eventsFor(EventC2CExtension, m.sidesSeeing()...), nil
		})
	if err != nil {
		return nil, notFoundKey(err, req.Key)
	}
	return results, nil
}

func validateExtensionRequest(req *ExtensionRequest) error {
	switch req.Op {
	case ExtensionSet, ExtensionDelete:
		if len(req.Items) == 0 {
			return Errorf(Invalid, FieldList, "no extensions")
		}
	case ExtensionClear:
		return nil
	default:
		return Errorf(Invalid, "", "extension operation %d", req.Op)
	}
	if len(req.Items) > MaxExtensionsPerCall {
		return Errorf(TooLarge, FieldList, "%d extensions, limit %d", len(req.Items), MaxExtensionsPerCall)
	}
	for _, it := range req.Items {
		if it.Key == "" || len(it.Key) > MaxExtensionKeyBytes {
			return Errorf(Invalid, FieldKey, "extension key of %d bytes", len(it.Key))
		}
		if len(it.Value) > MaxExtensionValueBytes {
			return Errorf(Invalid, FieldContent, "extension value of %d bytes", len(it.Value))
		}
	}
	return nil
}

// applyExtensions changes ext as req asks and reports per item.
func applyExtensions(req *ExtensionRequest, ext *Extensions) []ExtensionResult {
	if ext.Items == nil {
		ext.Items = map[string]Extension{}
	}
	next := ext.LatestSeq + 1
	if req.Op == ExtensionClear {
		clear(ext.Items)
		ext.LatestSeq, ext.ClearSeq = next, next
		return nil
	}
	results := make([]ExtensionResult, len(req.Items))
	changed := false
	for i, it := range req.Items {
		cur, exists := ext.Items[it.Key]
		if req.CheckSeq && it.Seq != cur.Seq {
			results[i] = ExtensionResult{Err: Errorf(Conflict, FieldKey, "key %q is at Seq %d", it.Key, cur.Seq), Extension: cur}
			continue
		}
		switch req.Op {
		case ExtensionSet:
			if !exists && len(ext.Items) >= MaxExtensionsPerMessage {
				results[i] = ExtensionResult{Err: Errorf(TooLarge, FieldList, "message has %d extensions", len(ext.Items))}
				continue
			}
			e := Extension{Key: it.Key, Value: it.Value, Seq: next}
			ext.Items[it.Key] = e
			results[i].Extension = e
		case ExtensionDelete:
			delete(ext.Items, it.Key)
			results[i].Extension = Extension{Key: it.Key, Seq: next}
		}
		changed = true
	}
	if changed {
		ext.LatestSeq = next
	}
	return results
}

// ExtensionPage is a page of a message's extensions, ordered by Seq.
type ExtensionPage struct {
	Items     []Extension
	Complete  bool
	LatestSeq uint64
	ClearSeq  uint64
}

// C2CExtensions returns the extensions of the message from sent to to with
// key whose Seq is at least startSeq, ordered by Seq then key, at most
// ExtensionPageSize. NotFound (FieldKey) when there is no such message;
// Unsupported when it was sent without SupportExtension.
func (s *Service) C2CExtensions(ctx context.Context, app AppID, from, to string, key MsgKey, startSeq uint64) (ExtensionPage, error) {
	if _, err := s.app(app); err != nil {
		return ExtensionPage{}, err
	}
	found, err := s.store.FindC2C(ctx, app, from, to, key)
	if err != nil {
		return ExtensionPage{}, err
	}
	var m *C2CMessage
	for i := range found {
		if found[i].From == from && found[i].To == to {
			m = &found[i]
			break
		}
	}
	if m == nil {
		return ExtensionPage{}, Errorf(NotFound, FieldKey, "no message %s", key)
	}
	if !m.Flags.Has(FlagSupportExtension) {
		return ExtensionPage{}, Errorf(Unsupported, FieldKey, "message %s does not support extensions", key)
	}
	ext, err := s.store.C2CExtensions(ctx, app, m.ID)
	if err != nil {
		return ExtensionPage{}, err
	}
	return extensionPage(ext, startSeq), nil
}

// extensionPage returns ext's pairs with Seq at least startSeq, by Seq then
// key, at most ExtensionPageSize.
func extensionPage(ext Extensions, startSeq uint64) ExtensionPage {
	page := ExtensionPage{LatestSeq: ext.LatestSeq, ClearSeq: ext.ClearSeq, Items: []Extension{}}
	for _, e := range ext.Items {
		if e.Seq >= startSeq {
			page.Items = append(page.Items, e)
		}
	}
	slices.SortFunc(page.Items, func(a, b Extension) int {
		if c := cmp.Compare(a.Seq, b.Seq); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	page.Complete = len(page.Items) <= ExtensionPageSize
	if !page.Complete {
		// Never end a page inside one Seq: the pairs of one change share
		// it, and the next page starts from a Seq.
		cut := ExtensionPageSize
		for cut > 0 && page.Items[cut-1].Seq == page.Items[cut].Seq {
			cut--
		}
		if cut == 0 {
			cut = ExtensionPageSize
		}
		page.Items = page.Items[:cut]
	}
	return page
}

// extensionLimiter counts extension changes per message per minute. It is
// per node: a guard against runaway clients, not an exact global quota.
type extensionLimiter struct {
	mu     sync.Mutex
	minute int64
	counts map[extKey]int
}

type extKey struct {
	app AppID
	id  int64
}

func (l *extensionLimiter) allow(app AppID, id int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m := now.Unix() / 60; m != l.minute || l.counts == nil {
		l.minute, l.counts = m, map[extKey]int{}
	}
	k := extKey{app, id}
	if l.counts[k] >= MaxExtensionOpsPerMinute {
		return false
	}
	l.counts[k]++
	return true
}
