package mqtt

import (
	"sync"
	"time"

	"diundashboard/server/store"
)

// Commands from the broker are untrusted: any client the broker lets publish on the command
// topics can send them (the broker's ACL is the trust boundary; see SECURITY.md). So that a
// flood neither fills memory nor pushes a real Install out, commands wait in a queue that
// holds each command topic once: repeating a command takes no more room, and a flood over
// every image holds at most two entries per image. The queue is served first come, first
// served, at a bounded rate. Commands for images the bridge does not know wait apart, a
// bounded few, until the next read of the images (at most one every unknownRefresh).

// maxUnknown bounds the commands for unknown images that wait for the next read.
const maxUnknown = 64

// unknownRefresh is the least time between two reads of every image made for commands the
// bridge does not know the image of.
const unknownRefresh = 5 * time.Second

type command struct {
	base, name string
}

// topic is the command topic c came on.
func (c command) topic() string { return c.base + "/" + c.name }

// target is the state c moves its image to.
func (c command) target() store.State {
	if c.name == ignoreLevel {
		return store.StateIgnored
	}
	return store.StateAcknowledged
}

// knownImage is what the bridge knows of an image from its last read.
type knownImage struct {
	id    int64
	state store.State
}

type commandQueue struct {
	mu      sync.Mutex
	order   []command
	queued  map[command]bool
	unknown map[command]time.Time // → when it arrived
}

func newCommandQueue() *commandQueue {
	return &commandQueue{queued: map[command]bool{}, unknown: map[command]time.Time{}}
}

// push queues c unless it waits already.
func (q *commandQueue) push(c command) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.queued[c] {
		q.queued[c] = true
		q.order = append(q.order, c)
	}
}

// pushUnknown keeps c until the next read; false when too many wait already.
func (q *commandQueue) pushUnknown(c command, now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.unknown[c]; ok {
		return true
	}
	if len(q.unknown) >= maxUnknown {
		return false
	}
	q.unknown[c] = now
	return true
}

// hasUnknown tells whether commands wait for a read of the images.
func (q *commandQueue) hasUnknown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.unknown) > 0
}

// resolve queues the unknown commands whose image a read that began at readAt found, and
// drops those that arrived before it and whose image it did not find; it returns how many it
// dropped.
func (q *commandQueue) resolve(images map[string]knownImage, readAt time.Time) (dropped int) {
	q.mu.Lock()
	var found []command
	for c, at := range q.unknown {
		if _, ok := images[c.base]; ok {
			found = append(found, c)
			delete(q.unknown, c)
		} else if at.Before(readAt) {
			dropped++
			delete(q.unknown, c)
		}
	}
	q.mu.Unlock()
	for _, c := range found {
		q.push(c)
	}
	return dropped
}

// peek is the next command, if any.
func (q *commandQueue) peek() (command, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.order) == 0 {
		return command{}, false
	}
	return q.order[0], true
}

// pop removes the next command.
func (q *commandQueue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.order) > 0 {
		delete(q.queued, q.order[0])
		q.order = q.order[1:]
	}
}

// logLimit lets one log line of a kind through per interval and counts those it held back,
// so that a flood of bad messages cannot flood the log.
type logLimit struct {
	mu   sync.Mutex
	next map[string]time.Time
	held map[string]int
}

const logInterval = 10 * time.Second

// allow tells whether a line of kind may be logged now, and how many it held back before.
func (l *logLimit) allow(kind string) (ok bool, held int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next == nil {
		l.next, l.held = map[string]time.Time{}, map[string]int{}
	}
	now := time.Now()
	if now.Before(l.next[kind]) {
		l.held[kind]++
		return false, 0
	}
	held = l.held[kind]
	l.next[kind], l.held[kind] = now.Add(logInterval), 0
	return true, held
}

// maxLoggedTopic bounds a topic in the log: a broker takes topics of 64 KiB.
const maxLoggedTopic = 200
