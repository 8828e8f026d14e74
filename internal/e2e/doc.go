// Package e2e holds DiunDashboard's reliability tests: they build and run the real binary (or
// the real HTTP server) and put it under load and faults: 50,000 notifications from 64
// senders, kill -9 mid-write, a PostgreSQL outage behind a TCP proxy, a full disk, slow and
// hostile clients. Every test sends traffic only to 127.0.0.1 and is bounded in count and time.
//
// The tests carry the e2e build tag (and postgres for the PostgreSQL ones), so a plain
// `go test ./...` stays fast:
//
//	make test-e2e         # everything, SQLite and PostgreSQL
//	make test-load        # or one at a time: test-crash, test-outage, test-diskfull, test-slow
package e2e
