package store

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The ingest pipeline is how both stores record notifications: a group commit. Each commit
// costs a WAL flush (SQLite's WAL write, PostgreSQL's fsync), so one goroutine takes every
// notification that is waiting, writes them all in one transaction and answers each caller
// only after the commit: nobody hears "stored" before it is. The queue in front of it is
// bounded, so an overload is refused at once (ErrQueueFull) instead of piling up requests
// that time out; Close writes everything accepted before it returns. Only the batch
// statement differs between dialects (batchWriter).

const (
	// maxBatch bounds one transaction so that a burst does not delay its first caller for
	// long.
	maxBatch = 256
	// ingestQueue is how many notifications may wait for the writer: about a second of
	// writing at the slowest measured rate, far more than any Diun fleet sends at once.
	ingestQueue = 2048
	// batchTimeout bounds a batch whose callers set no deadline.
	batchTimeout = 30 * time.Second
)

// IngestObserver receives the pipeline's measurements; server/metrics implements it.
type IngestObserver interface {
	// ObserveIngestBatch is called after each transaction with the notifications it held
	// and how long it took from BEGIN to the end of COMMIT.
	ObserveIngestBatch(size int, commit time.Duration)
}

// IngestMeter is what both stores offer the metrics: the queue's depth and an observer of
// every batch.
type IngestMeter interface {
	IngestQueueDepth() int
	SetIngestObserver(IngestObserver)
	// IngestFailing is the error of the last batch the database refused whole (a full disk, a
	// read-only database), while it is recent (failingFor) and no batch was written since;
	// nil otherwise. Readiness reports it: Ping alone answers while no write can succeed.
	IngestFailing() error
}

// failingFor is how long a batch that failed whole keeps IngestFailing reporting it. It ends
// by itself, soon, so that a server taken out of rotation for it gets notifications again to
// try (a minute kept Diun out that long after the database was back; found by an outside tester).
const failingFor = 15 * time.Second

// batchWriter writes notes, in order, atomically, and returns one result per note. It is the
// only part of ingest that differs between dialects. A failure that certainly stored nothing
// (a statement the database refused, rolled back) is wrapped in *statementError, so that the
// pipeline may split the batch and try again; any other failure may have committed.
type batchWriter func(ctx context.Context, notes []Notification) ([]RecordResult, error)

type ingest struct {
	write batchWriter
	// queue feeds the one writer, so that notifications commit in the order they arrived
	// (two writers could commit two notifications of an image in the reverse order of their
	// events, leaving the row on an older digest than its newest event: the conformance
	// suite's OverlappingRecords caught it when PostgreSQL had two).
	queue chan *recordRequest
	// mu orders enqueues before close: record holds it shared while it sends, close holds it
	// alone while it closes the queue, so nothing is sent on a closed channel.
	mu       sync.RWMutex
	closed   bool
	done     chan struct{}
	observer atomic.Pointer[IngestObserver]
	// failed is the last batch that failed whole, nil once one is written (IngestFailing).
	failed atomic.Pointer[batchFailure]
}

type batchFailure struct {
	at  time.Time
	err error
}

type recordRequest struct {
	ctx    context.Context
	n      Notification
	result RecordResult
	err    error
	done   chan struct{}
}

// newIngest starts the writer goroutine behind a queue of queue notifications. One writer
// for both stores: SQLite has one writer connection; PostgreSQL had two writers, each with
// half the senders' notifications, and measured 25-30% slower at 8 senders than one writer
// whose batches are twice as large (each batch costs PostgreSQL a round trip, a commit and
// its WAL flush, whatever its size).
func newIngest(write batchWriter, queue int) *ingest {
	p := &ingest{write: write, queue: make(chan *recordRequest, max(1, queue)), done: make(chan struct{})}
	go func() { p.run(); close(p.done) }()
	return p
}

// record queues n for the next batch and waits for its commit, or for ctx. A full queue is
// refused at once. A caller whose ctx ends while its notification is queued is answered
// ctx's error; the notification is then written only if the writer had not yet seen the
// cancellation, so a caller that was not told "stored" may find it stored, never the reverse.
func (p *ingest) record(ctx context.Context, n Notification) (RecordResult, error) {
	req := &recordRequest{ctx: ctx, n: n, done: make(chan struct{})}
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return RecordResult{}, ErrClosed
	}
	select {
	case p.queue <- req:
		p.mu.RUnlock()
	default:
		p.mu.RUnlock()
		return RecordResult{}, ErrQueueFull
	}
	select {
	case <-req.done:
		return req.result, req.err
	case <-ctx.Done():
		return RecordResult{}, ctx.Err()
	}
}

// depth is how many notifications wait for the writer.
func (p *ingest) depth() int { return len(p.queue) }

func (p *ingest) setObserver(o IngestObserver) { p.observer.Store(&o) }

func (p *ingest) run() {
	batch := make([]*recordRequest, 0, maxBatch)
	for req := range p.queue {
		batch = append(batch[:0], req)
		// Let the handlers that are about to call record get there first: on a busy server a
		// yield makes batches, and so commits, several times fewer (measured with loadgen).
		runtime.Gosched()
	gather:
		for len(batch) < maxBatch {
			select {
			case req, ok := <-p.queue:
				if !ok {
					break gather
				}
				batch = append(batch, req)
			default:
				break gather
			}
		}
		p.commit(batch)
	}
}

// commit writes the batch's live requests and answers every request of it.
func (p *ingest) commit(batch []*recordRequest) {
	live := make([]*recordRequest, 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err // its caller has gone: not written, as it was not answered "stored"
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// Not any caller's context: one caller leaving must not abort the others' writes. The
	// batch lives as long as its most patient caller waits.
	ctx, cancel := context.WithDeadline(context.Background(), batchDeadline(live))
	defer cancel()
	start := time.Now()
	p.writeSplit(ctx, live)
	p.noteFailure(live)
	if o := p.observer.Load(); o != nil {
		(*o).ObserveIngestBatch(len(live), time.Since(start))
	}
	for _, r := range live {
		close(r.done)
	}
}

// noteFailure keeps the error of a batch whose every notification failed for the database's
// sake (not its own data), and forgets it when any notification of a batch was written.
func (p *ingest) noteFailure(reqs []*recordRequest) {
	var err error
	for _, r := range reqs {
		if r.err == nil {
			p.failed.Store(nil)
			return
		}
		if !isRowError(r.err) {
			err = r.err
		}
	}
	if err != nil {
		p.failed.Store(&batchFailure{at: time.Now(), err: err})
	}
}

// failing is IngestFailing.
func (p *ingest) failing() error {
	f := p.failed.Load()
	if f == nil || time.Since(f.at) > failingFor {
		return nil
	}
	return f.err
}

func batchDeadline(reqs []*recordRequest) time.Time {
	limit := time.Now().Add(batchTimeout)
	var latest time.Time
	for _, r := range reqs {
		d, ok := r.ctx.Deadline()
		if !ok {
			return limit
		}
		if d.After(latest) {
			latest = d
		}
	}
	if latest.After(limit) {
		return limit
	}
	return latest
}

// writeSplit writes reqs in one transaction. When a notification's own row makes the
// statement fail (a constraint, a value out of range), nothing was committed, so the batch is
// split in halves and each is tried again: the bad notification fails alone, the others are
// stored. Any other failure (the database down, disk full, a failed COMMIT whose outcome is
// unknown) fails the whole batch.
func (p *ingest) writeSplit(ctx context.Context, reqs []*recordRequest) {
	results, err := p.writeTx(ctx, reqs)
	for attempt := 1; err != nil && isTransient(err) && attempt < 3; attempt++ {
		results, err = p.writeTx(ctx, reqs)
	}
	if err == nil {
		for i, r := range reqs {
			r.result = results[i]
		}
		return
	}
	var notWritten *statementError
	if len(reqs) > 1 && errors.As(err, &notWritten) && isRowError(notWritten.err) {
		half := len(reqs) / 2
		p.writeSplit(ctx, reqs[:half])
		p.writeSplit(ctx, reqs[half:])
		return
	}
	if notWritten != nil {
		err = notWritten.err
	}
	for _, r := range reqs {
		r.err = err
	}
}

// statementError is a failure inside the transaction, before COMMIT: it was rolled back.
type statementError struct{ err error }

func (e *statementError) Error() string { return e.err.Error() }
func (e *statementError) Unwrap() error { return e.err }

func (p *ingest) writeTx(ctx context.Context, reqs []*recordRequest) ([]RecordResult, error) {
	notes := make([]Notification, len(reqs))
	for i, r := range reqs {
		notes[i] = r.n
	}
	return p.write(ctx, notes)
}

// writeInTx runs write in one transaction of db: a batchWriter's usual frame. A failure of
// write rolls back and is a *statementError; a failed COMMIT is not (its outcome is unknown).
func writeInTx(ctx context.Context, db *sql.DB, write func(tx *sql.Tx) ([]RecordResult, error)) ([]RecordResult, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	results, err := write(tx)
	if err != nil {
		_ = tx.Rollback()
		return nil, &statementError{err}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return results, nil
}

// isRowError tells a failure caused by the data of some notification, which another batch
// without it would not meet, from one of the database itself.
func isRowError(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if len(pe.Code) < 2 {
			return false
		}
		switch pe.Code[:2] {
		case "22", "23": // data exception, integrity constraint violation
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
			return true
		}
	}
	return false
}

// close refuses new notifications, writes every one already queued, and returns when the
// last batch is committed.
func (p *ingest) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.mu.Unlock()
	<-p.done
}
