// Package query parses the request parameters that the JSON API and the UI share (filters,
// sort, paging, snoozes), so that a bookmarked UI view and an API call mean the same thing.
package query

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

// Images is a parsed GET /api/v1/images query; the UI reads the same parameters.
type Images struct {
	Filter store.ImageFilter
	Sort   store.Sort
	Page   store.PageRequest
}

// MaxParamLen bounds free-text query parameters: nothing stored is longer.
const MaxParamLen = store.MaxImageLen

// ParseImages reads host, state (default open; "all" for every state), tag, provider, stack, q,
// sort, limit and cursor, refusing values it does not know rather than guessing.
func ParseImages(v url.Values) (Images, error) {
	q := Images{Sort: store.SortLastSeen, Filter: store.ImageFilter{State: store.StateOpen}}
	for _, name := range []string{"host", "tag", "provider", "stack", "q", "cursor"} {
		if len(v.Get(name)) > MaxParamLen {
			return q, fmt.Errorf("%s is longer than %d bytes", name, MaxParamLen)
		}
	}
	q.Filter.Hostname = v.Get("host")
	q.Filter.Tag = v.Get("tag")
	q.Filter.Provider = v.Get("provider")
	q.Filter.Stack = v.Get("stack")
	q.Filter.Query = strings.TrimSpace(v.Get("q"))
	switch state := v.Get("state"); state {
	case "":
	case "all":
		q.Filter.State = ""
	default:
		if !store.State(state).Valid() {
			return q, fmt.Errorf("state %q is not one of open, acknowledged, snoozed, ignored, all", textutil.Truncate(state, 40))
		}
		q.Filter.State = store.State(state)
	}
	if sort := v.Get("sort"); sort != "" {
		if !store.Sort(sort).Valid() {
			return q, fmt.Errorf("sort %q is not one of last_seen, first_seen, image, host", textutil.Truncate(sort, 40))
		}
		q.Sort = store.Sort(sort)
	}
	limit, err := ParseLimit(v.Get("limit"))
	if err != nil {
		return q, err
	}
	q.Page = store.PageRequest{Cursor: v.Get("cursor"), Limit: limit}
	return q, nil
}

// ParseLimit reads a page size: 1 to store.MaxPageSize, store.DefaultPageSize when absent.
func ParseLimit(raw string) (int, error) {
	if raw == "" {
		return store.DefaultPageSize, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > store.MaxPageSize {
		return 0, fmt.Errorf("limit %q must be a whole number from 1 to %d", textutil.Truncate(raw, 40), store.MaxPageSize)
	}
	return n, nil
}

// ParseID reads a positive row id from a path segment.
func ParseID(what, raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s %q is not a valid id: it must be a positive whole number", what, textutil.Truncate(raw, 40))
	}
	return id, nil
}

// MaxSnooze bounds a snooze: longer than a year is ignoring.
const MaxSnooze = 366 * 24 * time.Hour

// ParseSnooze reads {"until": RFC 3339} or {"for": "7d" | "36h" | "1d12h"} into an absolute
// time in the future.
func ParseSnooze(until, duration string, now time.Time) (time.Time, error) {
	switch {
	case until != "" && duration != "":
		return time.Time{}, errors.New(`give either "until" or "for", not both`)
	case until != "":
		t, err := time.Parse(time.RFC3339Nano, until)
		if err != nil {
			return time.Time{}, fmt.Errorf("until %q is not an RFC 3339 time (e.g. 2026-12-01T08:00:00Z)", textutil.Truncate(until, 64))
		}
		if !t.After(now) {
			return time.Time{}, errors.New("until must be in the future")
		}
		if t.Sub(now) > MaxSnooze {
			return time.Time{}, errors.New("a snooze lasts at most a year; ignore the image instead")
		}
		return t, nil
	case duration != "":
		d, err := ParseDays(duration)
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(d), nil
	}
	return time.Time{}, errors.New(`a snooze needs "until" (RFC 3339) or "for" (such as "7d" or "12h")`)
}

// ParseDays is time.ParseDuration with a leading whole number of days allowed ("7d", "1d12h").
func ParseDays(s string) (time.Duration, error) {
	bad := fmt.Errorf("for %q is not a duration such as 1d, 7d, 30d or 12h", textutil.Truncate(s, 40))
	var total time.Duration
	rest := s
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		days, err := strconv.Atoi(rest[:i])
		if err != nil || days < 0 {
			return 0, bad
		}
		if days > 366 {
			return 0, errors.New("a snooze lasts at most a year; ignore the image instead")
		}
		total = time.Duration(days) * 24 * time.Hour
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, bad
		}
		total += d
	}
	if total <= 0 {
		return 0, errors.New("a snooze must last longer than zero")
	}
	if total > MaxSnooze {
		return 0, errors.New("a snooze lasts at most a year; ignore the image instead")
	}
	return total, nil
}
