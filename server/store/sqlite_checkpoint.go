package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite in WAL mode appends each commit's pages to the -wal file and copies them into the
// database file at a checkpoint. By default the connection that commits runs it, inside its
// COMMIT, once the WAL holds 1,000 pages: with about 14 pages per notification that is every
// 70 commits or so, and that commit then waits for two fsyncs and a thousand page copies (the
// p99 of a single sender: 9 ms against a p50 of 0.3 ms). The checkpointer runs it on a
// connection of its own, beside the writer, a moment after commits (PASSIVE: it never blocks
// the writer, and copies each page once however often it was rewritten meanwhile). The
// writer keeps its own checkpoint at a higher threshold (writerAutoCheckpoint) for when the
// checkpointer falls behind: under a steady stream the WAL is reset only by a checkpoint that
// the writer runs, between two of its transactions.
const (
	// writerAutoCheckpoint is the writer connection's wal_autocheckpoint, in pages (16 MB).
	writerAutoCheckpoint = 4000
	// checkpointDelay is how long the checkpointer lets commits gather before it copies them.
	// Short, so that each checkpoint is small: the writer's commits stall while one syncs the
	// files, and at 32 senders the p99 followed the delay (measured side by side, loadgen
	// -binary: 1 s 35-37 ms, 200 ms 20-24 ms, 50 ms 16-20 ms, 20 ms 14-16 ms, the rate the same
	// at 1, 8 and 32 senders).
	checkpointDelay = 20 * time.Millisecond
)

type checkpointer struct {
	db       *sql.DB
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// newCheckpointer starts the checkpointer on its own connection to dsn.
func newCheckpointer(dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// committed tells the checkpointer that the WAL grew.
func (c *checkpointer) committed() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	delay := time.NewTimer(checkpointDelay)
	delay.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		delay.Reset(checkpointDelay)
		select {
		case <-c.stop:
			delay.Stop()
			return
		case <-delay.C:
		}
		// A failure (the disk full, another checkpoint running) is left to the next round
		// and, meanwhile, to the writer's own threshold.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, _ = c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		cancel()
	}
}

// close stops the checkpointer; closing the last connection checkpoints what is left.
// Closing twice is harmless, as for the store.
func (c *checkpointer) close() error {
	var err error
	c.stopOnce.Do(func() {
		close(c.stop)
		<-c.done
		err = c.db.Close()
	})
	return err
}
