package core

import "context"

// GroupConversationsForTest exposes groupConversations to the reference
// implementation of the conversation list in conversation_list_test.go.
func (s *Service) GroupConversationsForTest(ctx context.Context, app AppID, owner string) ([]Conversation, error) {
	return s.groupConversations(ctx, app, owner)
}
