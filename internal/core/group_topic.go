package core

import (
	"context"
	"crypto/rand"
	"strings"
)

// Community topics: each has its own seq space and history.

// TopicRequest creates a topic.
type TopicRequest struct {
	App          AppID
	Group        string
	ID           string // custom part or full id; "" generates one
	Name         string
	Introduction string
	Notification string
	FaceURL      string
	CustomString string
}

// CreateTopic adds a topic to a Community that supports topics. The id is
// "{group}@TOPIC#_{custom}" or generated. Refusals: NotFound (FieldGroup),
// Unsupported (not a Community with topics), Invalid (name, id), TooLarge
// (FieldList: MaxTopicsPerCommunity), Duplicate (FieldTopic).
func (s *Service) CreateTopic(ctx context.Context, req *TopicRequest) (Topic, error) {
	cg, err := s.group(req.App, req.Group)
	if err != nil {
		return Topic{}, err
	}
	g := cg.snapshot()
	if g.Type != GroupCommunity || !g.SupportTopic {
		return Topic{}, Errorf(Unsupported, FieldGroup, "group %q has no topics", req.Group)
	}
	if req.Name == "" || len(req.Name) > MaxGroupNameBytes {
		return Topic{}, Errorf(Invalid, "TopicName", "topic name of %d bytes", len(req.Name))
	}
	if len(req.Introduction) > MaxIntroductionBytes || len(req.Notification) > MaxNotificationBytes || len(req.FaceURL) > MaxGroupFaceURLBytes {
		return Topic{}, Errorf(Invalid, "Topic", "topic info over its limits")
	}
	id := req.ID
	switch {
	case id == "":
		b := make([]byte, 8)
		rand.Read(b)
		for i := range b {
			b[i] = groupIDChars[int(b[i])%len(groupIDChars)]
		}
		id = req.Group + "@TOPIC#_@TOPIC#c" + string(b)
	case !strings.HasPrefix(id, req.Group+"@TOPIC#_"):
		id = req.Group + "@TOPIC#_" + id
	}
	if len(id) > MaxTopicIDBytes {
		return Topic{}, Errorf(Invalid, FieldTopic, "topic id of %d bytes", len(id))
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	cg.mu.RLock()
	n, taken := len(cg.topics), cg.topics[id] != nil
	cg.mu.RUnlock()
	if taken {
		return Topic{}, Errorf(Duplicate, FieldTopic, "topic %q exists", id)
	}
	if n >= MaxTopicsPerCommunity {
		return Topic{}, Errorf(TooLarge, FieldList, "%d topics, limit %d", n, MaxTopicsPerCommunity)
	}
	t := Topic{App: req.App, Group: req.Group, ID: id, Name: req.Name, Introduction: req.Introduction,
		Notification: req.Notification, FaceURL: req.FaceURL, CustomString: req.CustomString,
		CreateTime: s.Now(), NextSeq: 1}
	if err := s.gstore.CreateTopic(ctx, &t); err != nil {
		return Topic{}, err
	}
	cg.mu.Lock()
	tt := t
	cg.topics[id] = &tt
	cg.mu.Unlock()
	return t, nil
}

// DestroyTopic deletes a topic and its messages. NotFound (FieldGroup,
// FieldTopic).
func (s *Service) DestroyTopic(ctx context.Context, app AppID, group, topic string) error {
	cg, err := s.group(app, group)
	if err != nil {
		return err
	}
	if err := s.checkTopic(cg, topic); err != nil {
		return err
	}
	cg.write.Lock()
	defer cg.write.Unlock()
	if err := s.gstore.DestroyTopic(ctx, app, group, topic); err != nil {
		if KindOf(err) == NotFound {
			return Errorf(NotFound, FieldTopic, "no topic %q", topic)
		}
		return err
	}
	cg.mu.Lock()
	delete(cg.topics, topic)
	cg.mu.Unlock()
	return nil
}

// Topics returns a group's topics (all, or those named), ordered by id.
func (s *Service) Topics(app AppID, group string, ids []string) ([]Topic, error) {
	cg, err := s.group(app, group)
	if err != nil {
		return nil, err
	}
	g := cg.snapshot()
	if g.Type != GroupCommunity || !g.SupportTopic {
		return nil, Errorf(Unsupported, FieldGroup, "group %q has no topics", group)
	}
	cg.mu.RLock()
	defer cg.mu.RUnlock()
	var out []Topic
	if len(ids) > 0 {
		for _, id := range ids {
			if t := cg.topics[id]; t != nil {
				out = append(out, *t)
			}
		}
		return out, nil
	}
	for _, t := range cg.topics {
		out = append(out, *t)
	}
	sortTopics(out)
	return out, nil
}

func sortTopics(ts []Topic) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].ID < ts[j-1].ID; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
