// Package bus moves events between the nodes of a deployment. Events are
// bytes — a subject and a payload, usually a frame already encoded for
// devices — so the bus knows nothing of the model. One node uses
// bus/local; a cluster uses bus/nats.
package bus

// Bus publishes events to subscribers of a subject on every node.
type Bus interface {
	// Publish offers data to every current subscriber of subject. It does
	// not wait for delivery and keeps the order of one publisher's events
	// on one subject. data must not be changed afterwards.
	Publish(subject string, data []byte) error

	// Subscribe calls fn with every event published on subject from now on,
	// until the subscription is cancelled. fn runs on the bus's goroutine
	// (or the publisher's) and must not block.
	Subscribe(subject string, fn func(data []byte)) (Subscription, error)

	// Close stops delivery and releases the bus.
	Close() error
}

// Subscription is a live subscription.
type Subscription interface {
	// Unsubscribe stops delivery to the subscription's fn. Safe to call twice.
	Unsubscribe() error
}

// Interest is implemented by buses that know, cheaply and exactly, whether
// anyone subscribes to a subject (bus/local). Publishers use it to skip
// encoding events nobody will receive.
type Interest interface {
	Interested(subject string) bool
}
