package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

// MaxListed is how many images one message lists at most, however large a message the
// services take; the rest are counted ("and 12 more"). Smaller limits (limits.go) list fewer.
const MaxListed = 50

// composeNew writes the message about queued images: only those still open (acknowledged,
// snoozed or ignored meanwhile are left out), each image once, grouped by host. A message
// with an empty Body (nothing left open) takes the items off the queue and sends nothing.
// Title and body together take at most limit bytes: the images that do not fit are counted
// at the end, with a link to the overview's open updates.
func composeNew(items []store.QueuedUpdate, now time.Time, baseURL string, limit int) *store.OutboxMessage {
	seen := map[int64]bool{}
	var open []store.QueuedUpdate
	// The newest queue entry of an image says most about it: walk from the end.
	for _, it := range slices.Backward(items) {
		if it.State != store.StateOpen || seen[it.ImageID] {
			continue
		}
		seen[it.ImageID] = true
		open = append(open, it)
	}
	if len(open) == 0 {
		return &store.OutboxMessage{Kind: store.OutboxNew}
	}
	slices.SortFunc(open, func(a, b store.QueuedUpdate) int {
		if c := strings.Compare(a.Hostname, b.Hostname); c != 0 {
			return c
		}
		return strings.Compare(a.Image, b.Image)
	})
	hosts := 0
	for i, it := range open {
		if i == 0 || it.Hostname != open[i-1].Hostname {
			hosts++
		}
	}
	title := fmt.Sprintf("%s on %s", textutil.Plural(int64(len(open)), "new update"), textutil.Plural(int64(hosts), "host"))
	room := bodyLimit(limit, title)
	more := func(rest int) string {
		s := fmt.Sprintf("\nand %d more", rest)
		if baseURL != "" {
			s += ": " + baseURL + "/?state=open"
		}
		return s
	}
	// Room kept for the last line while images are left; it says at most len(open) more.
	reserve := len(more(len(open)))
	var b strings.Builder
	listed := 0
	for i, it := range open {
		if listed == MaxListed {
			break
		}
		var block strings.Builder
		if i == 0 || it.Hostname != open[i-1].Hostname {
			if i > 0 {
				block.WriteString("\n")
			}
			fmt.Fprintf(&block, "%s (%s)\n", hostName(it.Hostname), textutil.Plural(int64(countHost(open, it.Hostname)), "update"))
		}
		fmt.Fprintf(&block, "- %s: %s", it.Image, kindOf(it.Status))
		if it.Created != nil {
			fmt.Fprintf(&block, ", built %s", age(now.Sub(*it.Created)))
		}
		block.WriteString("\n")
		if baseURL != "" {
			fmt.Fprintf(&block, "  %s/images/%d\n", baseURL, it.ImageID)
		}
		need := b.Len() + block.Len()
		if i < len(open)-1 {
			need += reserve
		}
		// The body loses its last line break: one byte of slack.
		if need-1 > room {
			break
		}
		b.WriteString(block.String())
		listed++
	}
	if rest := len(open) - listed; rest > 0 {
		b.WriteString(more(rest))
	}
	body := fitBody(strings.Trim(b.String(), "\n"), room)
	return &store.OutboxMessage{Kind: store.OutboxNew, Title: title, Body: body, Items: len(open)}
}

func countHost(items []store.QueuedUpdate, host string) int {
	n := 0
	for _, it := range items {
		if it.Hostname == host {
			n++
		}
	}
	return n
}

func hostName(h string) string {
	if h == "" {
		return "(no hostname)"
	}
	return h
}

// kindOf says what Diun's status means for the person: a new image, or a new digest of one
// they run.
func kindOf(status string) string {
	if status == "new" {
		return "new image"
	}
	return "new digest"
}

// age writes a duration the way people say it: "3 days ago", "5 hours ago".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return textutil.Plural(int64(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return textutil.Plural(int64(d/time.Hour), "hour") + " ago"
	default:
		return textutil.Plural(int64(d/(24*time.Hour)), "day") + " ago"
	}
}

// composeDigest writes the summary of everything open: the count per host and the update
// that has waited longest, in at most limit bytes (hosts that do not fit are counted). Nothing
// open: no digest (nil).
func composeDigest(sum store.Summary, oldest *store.Image, slot time.Time, now time.Time, baseURL string, limit int) *store.OutboxMessage {
	hosts, totals := sum.ByHost()
	if totals.Open == 0 {
		return nil
	}
	var open []store.HostCounts
	for _, h := range hosts {
		if h.Open > 0 {
			open = append(open, h)
		}
	}
	title := fmt.Sprintf("Diun digest: %s on %s", textutil.Plural(totals.Open, "open update"), textutil.Plural(int64(len(open)), "host"))
	var tail strings.Builder
	if oldest != nil {
		fmt.Fprintf(&tail, "\nWaiting longest: %s on %s, since %s", oldest.Image, hostName(oldest.Hostname), age(now.Sub(oldest.StateChangedAt)))
		if baseURL != "" {
			fmt.Fprintf(&tail, "\n  %s/images/%d", baseURL, oldest.ID)
		}
		tail.WriteString("\n")
	}
	if baseURL != "" {
		fmt.Fprintf(&tail, "\nAll open updates: %s/?state=open\n", baseURL)
	}
	room := bodyLimit(limit, title)
	moreHosts := func(n int) string { return "and " + textutil.Plural(int64(n), "more host") + "\n" }
	reserve := tail.Len() + len(moreHosts(len(open)))
	var b strings.Builder
	listed := 0
	for i, h := range open {
		line := fmt.Sprintf("%s: %d open\n", hostName(h.Hostname), h.Open)
		need := b.Len() + len(line) + tail.Len()
		if i < len(open)-1 {
			need = b.Len() + len(line) + reserve
		}
		if need > room {
			break
		}
		b.WriteString(line)
		listed++
	}
	if rest := len(open) - listed; rest > 0 {
		b.WriteString(moreHosts(rest))
	}
	b.WriteString(tail.String())
	return &store.OutboxMessage{Kind: store.OutboxDigest, Slot: "digest " + slot.Format(time.RFC3339), Title: title,
		Body: fitBody(strings.Trim(b.String(), "\n"), room), Items: int(totals.Open)}
}

// testMessage is what "Send a test" sends.
func testMessage(actor string, now time.Time) store.OutboxMessage {
	return store.OutboxMessage{Kind: store.OutboxTest, Title: "DiunDashboard test notification",
		Body:  "This is a test from DiunDashboard, sent by " + actor + " at " + now.Format(time.RFC1123) + ". Notifications reach you here.",
		Items: 0}
}

// shortError keeps an error text short enough for a page and a log line.
func shortError(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = textutil.Truncate(s, 500)
	}
	return s
}
