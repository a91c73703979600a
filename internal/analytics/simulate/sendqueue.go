package simulate

import (
	"container/heap"
	"time"
)

// sendQueue orders batches by the time their player sends them: the
// event time of their last beacon, then the order they were made in.
type sendQueue struct {
	items []queued
	made  int64
}

type queued struct {
	at    time.Time
	order int64
	b     Batch
}

func (q *sendQueue) push(b Batch) {
	heap.Push(q, queued{at: b.Beacons[len(b.Beacons)-1].Time, order: q.made, b: b})
	q.made++
}

// next returns the send time of the first batch; the queue is not empty.
func (q *sendQueue) next() time.Time { return q.items[0].at }

func (q *sendQueue) pop() Batch { return heap.Pop(q).(queued).b }

// heap.Interface; use push and pop.

func (q *sendQueue) Len() int { return len(q.items) }

func (q *sendQueue) Less(i, j int) bool {
	a, b := &q.items[i], &q.items[j]
	if c := a.at.Compare(b.at); c != 0 {
		return c < 0
	}
	return a.order < b.order
}

func (q *sendQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }

func (q *sendQueue) Push(x any) { q.items = append(q.items, x.(queued)) }

func (q *sendQueue) Pop() any {
	n := len(q.items) - 1
	it := q.items[n]
	q.items[n] = queued{}
	q.items = q.items[:n]
	return it
}
