package tim

import (
	"context"

	"github.com/parleyim/parley/internal/core"
)

// Community topic commands under v4/million_group_open_http_svc/:
// create_topic, destroy_topic, get_topic. The reference lists the paths
// only; the members follow the Java SDK's request and result models.

// maxTopicCustomString bounds a topic's CustomString (bytes), as the Java
// SDK documents it.
const maxTopicCustomString = 3000

// ---- create_topic

type createTopicRequest struct {
	GroupID      *string `json:"GroupId"`
	TopicID      string  `json:"TopicId"` // custom: "{GroupId}@TOPIC#_{custom}" or just the custom part
	TopicName    *string `json:"TopicName"`
	FromAccount  string  `json:"From_Account"` // the creator; accepted, not stored
	CustomString string  `json:"CustomString"`
	FaceURL      string  `json:"FaceUrl"`
	Notification string  `json:"Notification"`
	Introduction string  `json:"Introduction"`
}

type createTopicResponse struct {
	envelope `json:",inline"`
	TopicID  string `json:"TopicId"`
}

func (h *Handler) createTopic(ctx context.Context, c *call) (any, *wireError) {
	var req createTopicRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	name, werr := need(req.TopicName, "TopicName")
	if werr != nil {
		return nil, werr
	}
	if len(req.CustomString) > maxTopicCustomString {
		return nil, fail(10004, "CustomString is longer than 3000 bytes")
	}
	if req.FromAccount != "" && !h.svc.AccountExists(c.app.ID, req.FromAccount) {
		return nil, fail(10019, "From_Account is not imported")
	}
	t, err := h.svc.CreateTopic(ctx, &core.TopicRequest{
		App: c.app.ID, Group: id, ID: req.TopicID, Name: name, Introduction: req.Introduction,
		Notification: req.Notification, FaceURL: req.FaceURL, CustomString: req.CustomString,
	})
	if err != nil {
		return nil, coreError(topicCodes, err)
	}
	return createTopicResponse{envelope: okEnvelope, TopicID: t.ID}, nil
}

// ---- destroy_topic

type destroyTopicRequest struct {
	GroupID     *string  `json:"GroupId"`
	TopicIDList []string `json:"TopicIdList"`
}

type destroyResultItem struct {
	ErrorCode int    `json:"ErrorCode"`
	ErrorInfo string `json:"ErrorInfo"`
	TopicID   string `json:"TopicId"`
}

type destroyTopicResponse struct {
	envelope          `json:",inline"`
	DestroyResultItem []destroyResultItem `json:"DestroyResultItem"`
}

func (h *Handler) destroyTopic(ctx context.Context, c *call) (any, *wireError) {
	var req destroyTopicRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	id, werr := groupIDOf(req.GroupID)
	if werr != nil {
		return nil, werr
	}
	if len(req.TopicIDList) == 0 {
		return nil, fail(10004, "TopicIdList is required")
	}
	// A Community holds at most 200 topics: no request names more.
	if len(req.TopicIDList) > core.MaxTopicsPerCommunity {
		return nil, fail(10004, "more than 200 topics in TopicIdList")
	}
	// The group itself must exist and have topics: that is the request's
	// failure, not each topic's.
	if _, err := h.svc.Topics(c.app.ID, id, nil); err != nil {
		return nil, coreError(topicCodes, err)
	}
	resp := destroyTopicResponse{envelope: okEnvelope, DestroyResultItem: make([]destroyResultItem, len(req.TopicIDList))}
	for i, t := range req.TopicIDList {
		resp.DestroyResultItem[i].TopicID = t
		if err := h.svc.DestroyTopic(ctx, c.app.ID, id, t); err != nil {
			werr := coreError(topicCodes, err)
			resp.DestroyResultItem[i].ErrorCode, resp.DestroyResultItem[i].ErrorInfo = werr.Code, werr.Info
		}
	}
	return resp, nil
}

// ---- get_topic

type getTopicRequest struct {
	// GroupId is what the Java SDK sends; GroupIdList (several groups) is
	// accepted too, the topics of each listed in order.
	GroupID     *string  `json:"GroupId"`
	GroupIDList []string `json:"GroupIdList"`
	FromAccount string   `json:"From_Account"` // with it, each topic carries that member's SelfInfo
	TopicIDList []string `json:"TopicIdList"`  // none: every topic
}

type topicInfo struct {
	TopicName     string `json:"TopicName"`
	GroupID       string `json:"GroupID"` // sic: the Java SDK's model spells it so
	FaceURL       string `json:"FaceUrl"`
	TopicID       string `json:"TopicId"`
	NextMsgSeq    uint64 `json:"NextMsgSeq"`
	Notification  string `json:"Notification"`
	Introduction  string `json:"Introduction"`
	CreateTime    int64  `json:"CreateTime"`
	LastMsgTime   int64  `json:"LastMsgTime"`
	ShutUpAllFlag int    `json:"ShutUpAllFlag"`
	CustomString  string `json:"CustomString"`
}

// topicSelfInfo is a member's state in a topic. Read positions and mutes
// are kept per group, so they are the group's.
type topicSelfInfo struct {
	ShutUpTime int64  `json:"ShutUpTime"`
	MsgSeq     uint64 `json:"MsgSeq"`
	MsgFlag    string `json:"MsgFlag"`
}

type topicAndSelfInfo struct {
	ErrorCode int            `json:"ErrorCode"`
	ErrorInfo string         `json:"ErrorInfo"`
	TopicInfo topicInfo      `json:"TopicInfo"`
	SelfInfo  *topicSelfInfo `json:"SelfInfo,omitzero"`
}

type getTopicResponse struct {
	envelope         `json:",inline"`
	TopicAndSelfInfo []topicAndSelfInfo `json:"TopicAndSelfInfo"`
}

func (h *Handler) getTopic(ctx context.Context, c *call) (any, *wireError) {
	var req getTopicRequest
	if err := c.decode(&req, groupFields); err != nil {
		return nil, err
	}
	groups := req.GroupIDList
	if req.GroupID != nil {
		groups = append([]string{*req.GroupID}, groups...)
	}
	if len(groups) == 0 {
		return nil, fail(10004, "GroupId is required")
	}
	now := h.svc.Now()
	resp := getTopicResponse{envelope: okEnvelope, TopicAndSelfInfo: []topicAndSelfInfo{}}
	for _, g := range groups {
		if !groupIDShape(g) {
			return nil, fail(10015, "invalid group ID")
		}
		topics, err := h.svc.Topics(c.app.ID, g, req.TopicIDList)
		if err != nil {
			return nil, coreError(topicCodes, err)
		}
		var self *topicSelfInfo
		if req.FromAccount != "" {
			if infos := h.svc.Groups(c.app.ID, []string{g}); infos[0].Err == nil {
				for _, m := range infos[0].Members {
					if m.User == req.FromAccount {
						until := m.MuteUntil
						if until <= now {
							until = 0
						}
						self = &topicSelfInfo{ShutUpTime: until, MsgSeq: m.ReadSeq, MsgFlag: m.MsgFlag}
					}
				}
			}
		}
		found := map[string]bool{}
		for _, t := range topics {
			found[t.ID] = true
			resp.TopicAndSelfInfo = append(resp.TopicAndSelfInfo, topicAndSelfInfo{TopicInfo: topicInfo{
				TopicName: t.Name, GroupID: t.Group, FaceURL: t.FaceURL, TopicID: t.ID, NextMsgSeq: max(t.NextSeq, 1),
				Notification: t.Notification, Introduction: t.Introduction, CreateTime: t.CreateTime,
				LastMsgTime: t.LastTime, ShutUpAllFlag: boolInt(t.MuteAll), CustomString: t.CustomString,
			}, SelfInfo: self})
		}
		for _, want := range req.TopicIDList {
			if !found[want] {
				resp.TopicAndSelfInfo = append(resp.TopicAndSelfInfo, topicAndSelfInfo{
					ErrorCode: 10010, ErrorInfo: "no such topic", TopicInfo: topicInfo{GroupID: g, TopicID: want},
				})
			}
		}
	}
	return resp, nil
}
