// Package replicas runs several diundashboard processes on one PostgreSQL database, as a load
// balancer would front them, and checks that they behave as one: they start together (the
// migration lock), share the generated webhook token, relay live updates to each other's
// browsers (LISTEN/NOTIFY), and lose no acknowledged notification when one of them is killed.
// It has tests only, under the postgres build tag:
//
//	go test -tags postgres ./internal/replicas/
package replicas
