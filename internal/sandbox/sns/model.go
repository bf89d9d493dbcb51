// Package sns is the sandbox's SNS: topics, HTTP/HTTPS subscriptions to
// loopback endpoints (confirmed as AWS confirms them), and Publish with
// delivery to every confirmed subscription, in the query protocol every
// SDK and the AWS CLI speak for SNS (Version 2010-03-31, XML answers).
// Laid out as the other services: model.go (state), store.go (WAL),
// service.go (the operations and their wire), deliver.go (HTTP delivery).
//
// Fidelity rules and their sources:
//   - Topic names: 1 to 256 letters, digits, hyphens and underscores, with
//     ".fifo" at the end for FIFO topics; CreateTopic of an existing name
//     returns the same ARN (API_CreateTopic).
//   - An HTTP/HTTPS subscription starts "pending confirmation": SNS POSTs
//     a SubscriptionConfirmation with a Token, and delivers nothing until
//     ConfirmSubscription is called with it (http-subscription-confirmation-json).
//   - Notifications are POSTed with x-amz-sns-message-type, -message-id,
//     -topic-arn and -subscription-arn headers and a JSON body of Type,
//     MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion,
//     Signature, SigningCertURL, UnsubscribeURL (http-notification-json).
//   - Subject: at most 100 printable ASCII characters; Message: at most
//     256 KiB (API_Publish).
//
// Differences from AWS, on purpose: endpoints must be loopback (the
// sandbox never sends requests to the network, so it cannot be used to
// reach other hosts); messages carry Signature "SANDBOX-UNSIGNED" (there is
// no AWS signing certificate to verify against); the SubscribeURL points
// at the sandbox, which answers only signed requests, so a test confirms
// with the ConfirmSubscription API (the Token), as the docs also allow.
package sns

import "time"

// Topic is one topic.
type Topic struct {
	ARN  string `json:"arn"`
	Name string `json:"name"`
}

// Subscription is one subscription of an endpoint to a topic.
type Subscription struct {
	ARN       string `json:"arn"`
	TopicARN  string `json:"topic_arn"`
	Protocol  string `json:"protocol"`
	Endpoint  string `json:"endpoint"`
	Token     string `json:"token"`
	Confirmed bool   `json:"confirmed"`
}

// Message is one published message waiting for delivery to the
// subscriptions that were confirmed when it was published.
type Message struct {
	ID        string    `json:"id"`
	TopicARN  string    `json:"topic_arn"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	Timestamp time.Time `json:"timestamp"`
	// Pending are the subscription ARNs it still has to reach.
	Pending []string `json:"pending"`
}

// record is one entry of the write-ahead log.
type record struct {
	Op           string        `json:"op"` // topic, delete_topic, subscribe, confirm, unsubscribe, publish, delivered
	Topic        *Topic        `json:"topic,omitempty"`
	Subscription *Subscription `json:"subscription,omitempty"`
	Message      *Message      `json:"message,omitempty"`
	ARN          string        `json:"arn,omitempty"`
	MessageID    string        `json:"message_id,omitempty"`
}
