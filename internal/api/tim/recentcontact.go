package tim

import (
	"context"

	"github.com/parleyim/parley/internal/core"
)

// Conversation list commands: v4/recentcontact/get_list and delete.

// recentCodes answer the recent-contact service.
var recentCodes = codeTable{
	{core.Internal, ""}:           50004,
	{core.Invalid, ""}:            50002,
	{core.NotFound, ""}:           50001, // user not imported
	{core.Forbidden, ""}:          50003,
	{core.Muted, ""}:              50002,
	{core.TooLarge, ""}:           50002,
	{core.RateLimited, ""}:        60007,
	{core.Duplicate, ""}:          50002,
	{core.RejectedByCallback, ""}: 50002,
	{core.Conflict, ""}:           50002,
	{core.Unsupported, ""}:        50002,
}

var recentFamily = family{notAdmin: 50003, parse: 50002, tooLarge: 50002, invalid: 50002, unknown: 60009, codes: recentCodes}

func (h *Handler) registerRecentContact() {
	h.handle("recentcontact/get_list", &recentFamily, h.getContactList)
	h.handle("recentcontact/delete", &recentFamily, h.deleteContact)
}

// AssistFlags bits of get_list.
const (
	assistPinned     = 1 << 0 // list pinned conversations first
	assistEmpty      = 1 << 1 // list conversations without messages
	assistPagePinned = 1 << 2 // page the pinned conversations too
)

type getListRequest struct {
	FromAccount   *string `json:"From_Account"`
	TimeStamp     int64   `json:"TimeStamp"`
	StartIndex    int     `json:"StartIndex"`
	TopTimeStamp  int64   `json:"TopTimeStamp"`
	TopStartIndex int     `json:"TopStartIndex"`
	AssistFlags   int64   `json:"AssistFlags"`
}

type sessionItem struct {
	Type      int    `json:"Type"`
	ToAccount string `json:"To_Account,omitempty"`
	GroupID   string `json:"GroupId,omitempty"`
	MsgTime   int64  `json:"MsgTime"`
	TopFlag   int    `json:"TopFlag"`
}

type getListResponse struct {
	envelope      `json:",inline"`
	SessionItem   []sessionItem `json:"SessionItem"`
	CompleteFlag  int           `json:"CompleteFlag"`
	TimeStamp     int64         `json:"TimeStamp"`
	StartIndex    int           `json:"StartIndex"`
	TopTimeStamp  int64         `json:"TopTimeStamp"`
	TopStartIndex int           `json:"TopStartIndex"`
	ErrorDisplay  string        `json:"ErrorDisplay"`
}

func (h *Handler) getContactList(ctx context.Context, c *call) (any, *wireError) {
	var req getListRequest
	if err := c.decode(&req, fieldCodes{"From_Account": 50002}); err != nil {
		return nil, err
	}
	if req.FromAccount == nil {
		return nil, fail(50002, "From_Account is missing")
	}
	if req.TimeStamp < 0 || req.StartIndex < 0 || req.TopTimeStamp < 0 || req.TopStartIndex < 0 {
		return nil, fail(50002, "cursors must not be negative")
	}
	page, err := h.svc.Conversations(ctx, core.ConvListRequest{
		App:           c.app.ID,
		Owner:         *req.FromAccount,
		Normal:        core.ConvCursor{Time: req.TimeStamp, Index: req.StartIndex},
		Pinned:        core.ConvCursor{Time: req.TopTimeStamp, Index: req.TopStartIndex},
		SupportPinned: req.AssistFlags&assistPinned != 0,
		WithEmpty:     req.AssistFlags&assistEmpty != 0,
		PagePinned:    req.AssistFlags&assistPagePinned != 0,
	})
	if err != nil {
		return nil, c.refuse(err)
	}
	resp := getListResponse{
		envelope:      okEnvelope,
		SessionItem:   make([]sessionItem, len(page.Items)),
		TimeStamp:     page.Normal.Time,
		StartIndex:    page.Normal.Index,
		TopTimeStamp:  page.Pinned.Time,
		TopStartIndex: page.Pinned.Index,
	}
	if page.Complete {
		resp.CompleteFlag = 1
	}
	for i, cv := range page.Items {
		it := sessionItem{Type: int(cv.Type), MsgTime: cv.LastTime}
		if cv.Type == core.ConvGroup {
			it.GroupID = cv.Peer
		} else {
			it.ToAccount = cv.Peer
		}
		if cv.Pinned {
			it.TopFlag = 1
		}
		resp.SessionItem[i] = it
	}
	return resp, nil
}

type deleteContactRequest struct {
	FromAccount *string `json:"From_Account"`
	Type        *int64  `json:"Type"`
	ToAccount   *string `json:"To_Account"`
	ToGroupid   *string `json:"ToGroupid"`
	ClearRamble int64   `json:"ClearRamble"`
}

type deleteContactResponse struct {
	envelope     `json:",inline"`
	ErrorDisplay string `json:"ErrorDisplay"`
}

func (h *Handler) deleteContact(ctx context.Context, c *call) (any, *wireError) {
	var req deleteContactRequest
	if err := c.decode(&req, fieldCodes{"From_Account": 50002}); err != nil {
		return nil, err
	}
	if req.FromAccount == nil || req.Type == nil {
		return nil, fail(50002, "From_Account and Type are required")
	}
	var peer string
	switch *req.Type {
	case int64(core.ConvC2C):
		if req.ToAccount == nil {
			return nil, fail(50002, "To_Account is required for Type 1")
		}
		peer = *req.ToAccount
	case int64(core.ConvGroup):
		if req.ToGroupid == nil {
			return nil, fail(50002, "ToGroupid is required for Type 2")
		}
		peer = *req.ToGroupid
	default:
		return nil, fail(50002, "Type must be 1 or 2")
	}
	if req.ClearRamble != 0 && req.ClearRamble != 1 {
		return nil, fail(50002, "ClearRamble must be 0 or 1")
	}
	err := h.svc.DeleteConversation(ctx, c.app.ID, *req.FromAccount, core.ConvType(*req.Type), peer, req.ClearRamble == 1)
	if err != nil {
		return nil, c.refuse(err)
	}
	return deleteContactResponse{envelope: okEnvelope}, nil
}
