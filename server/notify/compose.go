package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"diundashboard/internal/imageinfo"
	"diundashboard/internal/textutil"
	"diundashboard/server/store"
)

// MaxListed is how many images one message lists at most, however large a message the
// services take; the rest are counted ("and 12 more"). Smaller limits (limits.go) list fewer.
const MaxListed = 50

// content is what an outbox row is about (store.OutboxRow.Content, JSON): the worker composes
// the row again from it for each destination when it sends it.
type content struct {
	// Items are the open images of a message about new updates.
	Items []store.QueuedUpdate `json:"items,omitempty"`
	// Digest is what a digest says.
	Digest *digestInput `json:"digest,omitempty"`
}

// digestInput is what the digest of one slot says: the open images per host, some by name.
type digestInput struct {
	Slot   time.Time    `json:"slot"`
	Hosts  []digestHost `json:"hosts"`
	Total  int64        `json:"total"`
	Oldest *store.Image `json:"oldest,omitempty"`
}

// digestHost is one host of a digest: how many images are open and the first few by name.
type digestHost struct {
	Hostname string   `json:"hostname"`
	Open     int64    `json:"open"`
	Images   []string `json:"images"`
}

// digestNames is how many images per host a digest names at most.
const digestNames = 5

// openOnly keeps, of queued items, the newest entry of each image still open, by host then
// image: acknowledged, snoozed or ignored meanwhile are left out.
func openOnly(items []store.QueuedUpdate) []store.QueuedUpdate {
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
	slices.SortFunc(open, func(a, b store.QueuedUpdate) int {
		if c := strings.Compare(a.Hostname, b.Hostname); c != 0 {
			return c
		}
		return strings.Compare(a.Image, b.Image)
	})
	return open
}

// composeNew writes the message about open images (openOnly) in flavour f, grouped by host. A
// message with an empty Body (nothing left open) sends nothing. Title and body together take at
// most limit bytes. Hosts are listed whole while they fit (the first one, when alone too
// large, in part); the hosts left out are named with their counts, and the body always ends
// with the total, for destinations that show no title.
func composeNew(open []store.QueuedUpdate, now time.Time, baseURL string, limit int, f flavour) *store.OutboxMessage {
	if len(open) == 0 {
		return &store.OutboxMessage{Kind: store.OutboxNew}
	}
	hosts := groupHosts(open)
	title := fmt.Sprintf("%s on %s", textutil.Plural(int64(len(open)), "new update"), textutil.Plural(int64(len(hosts)), "host"))
	room := bodyLimit(limit, title)
	total := "\n" + words(f, title)
	if baseURL != "" {
		total += ": " + words(f, baseURL+"/?state=open")
	}
	// Room kept for naming the hosts left out, while some are.
	reserve := len(total) + min(400, room/4)
	var b strings.Builder
	listed, listedHosts := 0, 0
	for i, h := range hosts {
		last := i == len(hosts)-1
		var block strings.Builder
		if i > 0 {
			block.WriteString("\n")
		}
		block.WriteString(untrusted(f, hostName(h.name)) + words(f, " ("+textutil.Plural(int64(len(h.items)), "update")+")") + "\n")
		lines := make([]string, len(h.items))
		for j, it := range h.items {
			lines[j] = imageLines(it, now, baseURL, f)
		}
		whole := block.Len()
		for _, l := range lines {
			whole += len(l)
		}
		need := reserve
		if last {
			need = len(total)
		}
		if listed+len(lines) <= MaxListed && b.Len()+whole+need <= room {
			b.WriteString(block.String())
			for _, l := range lines {
				b.WriteString(l)
			}
			listed += len(lines)
			listedHosts++
			continue
		}
		if i > 0 {
			break
		}
		// The first host alone does not fit: as many of its images as do, then a count.
		b.WriteString(block.String())
		for j, l := range lines {
			rest := words(f, fmt.Sprintf("and %d more on ", len(lines)-j)) + untrusted(f, hostName(h.name)) + "\n"
			if j == MaxListed || b.Len()+len(l)+len(rest)+need > room {
				b.WriteString(rest)
				break
			}
			b.WriteString(l)
			listed++
		}
		listedHosts++
		break
	}
	if rest := hosts[listedHosts:]; len(rest) > 0 {
		b.WriteString(notListed(rest, room-b.Len()-len(total), f))
	}
	b.WriteString(total)
	body := fitBody(strings.Trim(b.String(), "\n"), room)
	return &store.OutboxMessage{Kind: store.OutboxNew, Title: title, Body: body, Items: len(open)}
}

type hostGroup struct {
	name  string
	items []store.QueuedUpdate
}

// groupHosts splits items sorted by host into one group per host.
func groupHosts(items []store.QueuedUpdate) []hostGroup {
	var out []hostGroup
	for _, it := range items {
		if len(out) == 0 || out[len(out)-1].name != it.Hostname {
			out = append(out, hostGroup{name: it.Hostname})
		}
		out[len(out)-1].items = append(out[len(out)-1].items, it)
	}
	return out
}

// notListed names the hosts a message had no room to list, with their counts, in at most max
// bytes: "Not listed: nas (12 updates), pi (3 updates) and 4 more hosts".
func notListed(hosts []hostGroup, max int, f flavour) string {
	head := "\n" + words(f, "Not listed: ")
	var b strings.Builder
	for i, h := range hosts {
		sep := ""
		if i > 0 {
			sep = words(f, ", ")
		}
		part := sep + untrusted(f, hostName(h.name)) + words(f, " ("+textutil.Plural(int64(len(h.items)), "update")+")")
		more := ""
		if left := len(hosts) - i - 1; left > 0 {
			more = words(f, " and "+textutil.Plural(int64(left), "more host"))
		}
		if len(head)+b.Len()+len(part)+len(more)+1 > max {
			return head + strings.TrimPrefix(b.String(), words(f, ", ")) + words(f, " and "+textutil.Plural(int64(len(hosts)-i), "more host")) + "\n"
		}
		b.WriteString(part)
	}
	return head + b.String() + "\n"
}

// imageLines is one image of a message: what it is, how old its build, and the links the
// dashboard makes itself (its own page, and the registry or source page it infers).
func imageLines(it store.QueuedUpdate, now time.Time, baseURL string, f flavour) string {
	var b strings.Builder
	b.WriteString(words(f, "- ") + untrusted(f, it.Image) + words(f, ": "+kindOf(it)))
	switch {
	case imageinfo.BuildDate(it.Created) != nil:
		b.WriteString(words(f, ", built "+age(now.Sub(*it.Created))))
	case imageinfo.BuildDateUnset(it.Created):
		b.WriteString(words(f, ", build date not set"))
	}
	b.WriteString("\n")
	var links []string
	if baseURL != "" {
		links = append(links, words(f, fmt.Sprintf("%s/images/%d", baseURL, it.ImageID)))
	}
	if src, _ := imageinfo.RegistryLinks(it.Image); src.URL != "" {
		links = append(links, words(f, src.Label+": "+src.URL))
	}
	if len(links) > 0 {
		b.WriteString("  " + strings.Join(links, words(f, " · ")) + "\n")
	}
	return b.String()
}

func hostName(h string) string {
	if h == "" {
		return "(no hostname)"
	}
	return h
}

// kindOf says what the update is for the person: a new image only when Diun says so and the
// dashboard first heard of it with this notification. An image the dashboard knew is a new
// digest whatever Diun's status says: after its database is wiped, Diun calls every image
// "new".
func kindOf(it store.QueuedUpdate) string {
	if it.Status == "new" && (it.FirstSeen.IsZero() || !it.QueuedAt.After(it.FirstSeen)) {
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

// composeDigest writes the summary of everything open in flavour f: per host the count and the
// first few images by name, and the update that has waited longest, in at most limit bytes
// (hosts that do not fit are counted). Nothing open: no digest (nil).
func composeDigest(in digestInput, now time.Time, baseURL string, limit int, f flavour) *store.OutboxMessage {
	if in.Total == 0 {
		return nil
	}
	title := fmt.Sprintf("Diun digest: %s on %s", textutil.Plural(in.Total, "open update"), textutil.Plural(int64(len(in.Hosts)), "host"))
	var tail strings.Builder
	if o := in.Oldest; o != nil {
		tail.WriteString("\n" + words(f, "Waiting longest: ") + untrusted(f, o.Image) + words(f, " on ") + untrusted(f, hostName(o.Hostname)) +
			words(f, ", since "+age(now.Sub(o.StateChangedAt))))
		if baseURL != "" {
			tail.WriteString("\n  " + words(f, fmt.Sprintf("%s/images/%d", baseURL, o.ID)))
		}
		tail.WriteString("\n")
	}
	if baseURL != "" {
		tail.WriteString("\n" + words(f, "All open updates: "+baseURL+"/?state=open") + "\n")
	}
	room := bodyLimit(limit, title)
	moreHosts := func(n int) string { return words(f, "and "+textutil.Plural(int64(n), "more host")) + "\n" }
	reserve := tail.Len() + len(moreHosts(len(in.Hosts)))
	var b strings.Builder
	listed := 0
	for i, h := range in.Hosts {
		line := untrusted(f, hostName(h.Hostname)) + words(f, fmt.Sprintf(": %d open", h.Open)) + "\n"
		if names := digestNamesLine(h, f); names != "" {
			line += "  " + names + "\n"
		}
		need := b.Len() + len(line) + tail.Len()
		if i < len(in.Hosts)-1 {
			need = b.Len() + len(line) + reserve
		}
		if need > room {
			break
		}
		b.WriteString(line)
		listed++
	}
	if rest := len(in.Hosts) - listed; rest > 0 {
		b.WriteString(moreHosts(rest))
	}
	b.WriteString(tail.String())
	return &store.OutboxMessage{Kind: store.OutboxDigest, Slot: "digest " + in.Slot.Format(time.RFC3339), Title: title,
		Body: fitBody(strings.Trim(b.String(), "\n"), room), Items: int(in.Total)}
}

// digestNamesLine names a host's first images: "nginx:1, redis:7 and 10 more".
func digestNamesLine(h digestHost, f flavour) string {
	names := make([]string, len(h.Images))
	for i, n := range h.Images {
		names[i] = untrusted(f, n)
	}
	s := strings.Join(names, words(f, ", "))
	if more := h.Open - int64(len(h.Images)); more > 0 && len(names) > 0 {
		s += words(f, fmt.Sprintf(" and %d more", more))
	}
	return s
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
