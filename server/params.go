package server

import (
	"net/url"
	"time"

	"diundashboard/server/query"
)

// The parameter parsing lives in package query, which the UI (server/web) shares; these names
// keep the API handlers reading as before.

// imageQuery is a parsed GET /api/v1/images query.
type imageQuery = query.Images

func parseImageQuery(v url.Values) (imageQuery, error) { return query.ParseImages(v) }

func parseLimit(raw string) (int, error) { return query.ParseLimit(raw) }

func parseID(what, raw string) (int64, error) { return query.ParseID(what, raw) }

func parseSnooze(until, duration string, now time.Time) (time.Time, error) {
	return query.ParseSnooze(until, duration, now)
}
