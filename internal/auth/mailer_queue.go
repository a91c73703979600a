package auth

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// MailQueueOptions configure the queue through which the service sends
// mail: requests only queue a mail, and a worker (Service.Run) sends it,
// so neither a slow mail server nor the existence of an address shows in
// how long a request takes.
type MailQueueOptions struct {
	// Size is how many mails may wait. A mail that finds the queue full is
	// dropped, logged and counted (MailStats.Dropped); the request that
	// queued it is never held up. Default 256.
	Size int
	// Attempts is how many times one mail is tried before it is given up,
	// logged and counted (MailStats.Failed). Default 5.
	Attempts int
	// Backoff is the wait before the first retry, doubled for each
	// further one up to MaxBackoff. Default 1 second.
	Backoff time.Duration
	// MaxBackoff caps the wait between attempts. Default 1 minute.
	MaxBackoff time.Duration
	// AttemptTimeout bounds one attempt. Default 30 seconds.
	AttemptTimeout time.Duration
}

// DefaultMailQueueOptions returns the defaults documented on
// MailQueueOptions.
func DefaultMailQueueOptions() MailQueueOptions {
	return MailQueueOptions{Size: 256, Attempts: 5, Backoff: time.Second, MaxBackoff: time.Minute, AttemptTimeout: 30 * time.Second}
}

func (o MailQueueOptions) withDefaults() MailQueueOptions {
	d := DefaultMailQueueOptions()
	if o.Size <= 0 {
		o.Size = d.Size
	}
	if o.Attempts <= 0 {
		o.Attempts = d.Attempts
	}
	if o.Backoff <= 0 {
		o.Backoff = d.Backoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = d.MaxBackoff
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = d.AttemptTimeout
	}
	return o
}

// MailStats counts what the mail queue did since the service started.
type MailStats struct {
	// Queued mails were accepted into the queue.
	Queued int64
	// Sent mails were delivered to the Mailer, Retried counts failed
	// attempts that were tried again, and Failed mails were given up after
	// Attempts tries or at shutdown.
	Sent, Retried, Failed int64
	// Dropped mails found the queue full.
	Dropped int64
}

// mailQueue is a bounded in-process queue with one worker per run call.
type mailQueue struct {
	next   Mailer
	o      MailQueueOptions
	logger *slog.Logger
	ch     chan Mail

	queued, sent, retried, failed, dropped atomic.Int64
}

func newMailQueue(next Mailer, o MailQueueOptions, logger *slog.Logger) *mailQueue {
	return &mailQueue{next: next, o: o, logger: logger, ch: make(chan Mail, o.Size)}
}

// enqueue queues m without waiting. The log never holds the body, which
// carries a reset code.
func (q *mailQueue) enqueue(ctx context.Context, m Mail) {
	select {
	case q.ch <- m:
		q.queued.Add(1)
	default:
		q.dropped.Add(1)
		q.logger.ErrorContext(ctx, "mail queue full; mail dropped", "subject", m.Subject, "queue_size", q.o.Size)
	}
}

// run sends queued mail until ctx ends; mail still queued then is counted
// as failed.
func (q *mailQueue) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			if n := len(q.ch); n > 0 {
				q.failed.Add(int64(n))
				q.logger.Warn("mail queue stopped with mail unsent", "count", n)
			}
			return
		case m := <-q.ch:
			q.deliver(ctx, m)
		}
	}
}

// deliver tries m up to Attempts times with exponential backoff.
func (q *mailQueue) deliver(ctx context.Context, m Mail) {
	wait := q.o.Backoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, q.o.AttemptTimeout)
		err := q.next.Send(actx, m)
		cancel()
		if err == nil {
			q.sent.Add(1)
			return
		}
		if attempt >= q.o.Attempts || ctx.Err() != nil {
			q.failed.Add(1)
			q.logger.Error("mail not sent; given up", "subject", m.Subject, "attempts", attempt, "error", err)
			return
		}
		q.retried.Add(1)
		q.logger.Warn("mail not sent; will retry", "subject", m.Subject, "attempt", attempt, "retry_in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			q.failed.Add(1)
			return
		case <-t.C:
		}
		wait = min(2*wait, q.o.MaxBackoff)
	}
}

func (q *mailQueue) stats() MailStats {
	return MailStats{Queued: q.queued.Load(), Sent: q.sent.Load(), Retried: q.retried.Load(),
		Failed: q.failed.Load(), Dropped: q.dropped.Load()}
}

// Run sends the mail the service queues (password reset codes) until ctx
// ends; call it once, in its own goroutine, for as long as the service
// serves. Without it mail only queues up, and is dropped once the queue is
// full. Mail still queued when ctx ends is not sent.
func (s *Service) Run(ctx context.Context) { s.mail.run(ctx) }

// MailStats returns the mail queue's counters.
func (s *Service) MailStats() MailStats { return s.mail.stats() }
