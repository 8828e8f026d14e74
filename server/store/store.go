// Package store keeps DiunDashboard's data: every Diun notification as an append-only event,
// one current row per (hostname, image) with its triage state, and tags. One Store interface is
// implemented over SQLite (modernc.org/sqlite) and PostgreSQL (pgx through database/sql), both
// running queries that sqlc compiled from sql/<dialect>/queries into gen/.
package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Store is everything the server needs from the database. Implementations are safe for
// concurrent use.
type Store interface {
	// Record stores one notification: the event and the current row, in one transaction.
	// Diun's test image is stored as a connection check and creates no current row.
	Record(ctx context.Context, n Notification) (RecordResult, error)

	// ListImages returns one page of current rows that match f, in the order s.
	ListImages(ctx context.Context, f ImageFilter, s Sort, p PageRequest) (ImagePage, error)
	// GetImage returns one current row with its tags, or ErrNotFound.
	GetImage(ctx context.Context, id int64) (Image, error)
	// ListEvents returns the notifications of one image, newest first.
	ListEvents(ctx context.Context, imageID int64, p PageRequest) (EventPage, error)
	// ListChecks returns the newest test notifications (`diun notif test`), newest first.
	ListChecks(ctx context.Context, limit int) ([]Event, error)
	// LatestSources tells, for each of the images ids (a page: at most MaxPageSize), where its
	// newest event came from; an unknown id is left out, an image with no event kept (pruned)
	// reads as SourceWebhook.
	LatestSources(ctx context.Context, ids []int64) (map[int64]Source, error)
	// HostHasWebhook tells whether a webhook (not reconcile) ever named hostname, among the
	// events kept: a notification about one of its images, or a test notification.
	HostHasWebhook(ctx context.Context, hostname string) (bool, error)

	// CreateTag adds a tag; a name already taken gives ErrConflict.
	CreateTag(ctx context.Context, name string) (Tag, error)
	RenameTag(ctx context.Context, id int64, name string) (Tag, error)
	DeleteTag(ctx context.Context, id int64) error
	// ListTags returns every tag with the number of images that carry it, by name.
	ListTags(ctx context.Context) ([]Tag, error)

	// Summary counts images per host and state and tells when the last notifications arrived.
	Summary(ctx context.Context) (Summary, error)
	// CountImagesMatching counts the images that f matches per host and state, ignoring
	// f.State (the counts cover every state of the view); hosts and states without images
	// are left out. It reads the images themselves: Summary is the cheap count of everything.
	CountImagesMatching(ctx context.Context, f ImageFilter) ([]HostCount, error)

	// PruneEvents deletes events received before cutoff, and triage changes made before it, in
	// batches, keeping current rows.
	PruneEvents(ctx context.Context, cutoff time.Time) (int64, error)
	// CountEventsBefore tells how many events PruneEvents would delete.
	CountEventsBefore(ctx context.Context, cutoff time.Time) (int64, error)

	// Setting returns a server-wide value, or ErrNotFound.
	Setting(ctx context.Context, key string) (string, error)
	// PutSetting stores a server-wide value.
	PutSetting(ctx context.Context, key, value string) error
	// InitSetting stores value under key unless a value is there already, and returns the
	// value that is stored: the first of several replicas to start wins.
	InitSetting(ctx context.Context, key, value string) (string, error)

	// CountEventsPerDay counts the notifications about images received on each UTC day from
	// since's UTC day on, oldest day first; days without any are left out. Test notifications
	// are connection checks, not updates, and are not counted. The counts are kept as events are
	// recorded and deleted, so the cost does not grow with the events in the range.
	CountEventsPerDay(ctx context.Context, since time.Time) ([]DayCount, error)

	// TakeLease claims the lease name for holder until until (or extends holder's own), and
	// reports false when another holder has it beyond now: see leases.go.
	TakeLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// LiveLease returns the lease matching pattern (LIKE, such as "server:%") held longest
	// beyond now, and when it ends; ErrNotFound when none is.
	LiveLease(ctx context.Context, pattern string, now time.Time) (name string, until time.Time, err error)
	// DeleteExpiredLeases deletes the leases matching pattern that ended by now.
	DeleteExpiredLeases(ctx context.Context, pattern string, now time.Time) (int64, error)

	// The set-based write path of triage, with its audit trail: see triage.go.
	TriageStore

	// Sessions and API tokens: see auth.go.
	AuthStore

	// The notification queue and outbox: see notify_outbox.go.
	NotifyOutbox

	// Ping checks that the database answers and holds the dashboard's tables (ErrNoSchema).
	Ping(ctx context.Context) error
	// Dialect names the database engine.
	Dialect() Dialect
	// Close waits for writes in progress and closes the database.
	Close() error
}

// TestImage is the image `diun notif test` sends: proof that the connection works.
const TestImage = "docker.io/diun/testnotif:latest"

// Errors a Store returns; compare with errors.Is.
var (
	ErrNotFound      = errors.New("not found")
	ErrConflict      = errors.New("already exists")
	ErrInvalid       = errors.New("invalid")
	ErrInvalidCursor = errors.New("invalid cursor")
	ErrClosed        = errors.New("store is closed")
	// ErrQueueFull: more notifications are waiting to be written than the ingest queue holds
	// (see ingest.go); nothing was stored and the sender may try again shortly.
	ErrQueueFull = errors.New("the ingest queue is full")
	// ErrNoSchema: the database answers but holds none of the dashboard's tables (dropped or
	// replaced under a running server).
	ErrNoSchema = errors.New("the database holds none of the dashboard's tables: restart the server to migrate it")
)

// State is the triage state of an image.
type State string

const (
	// StateOpen: an update waits for a person.
	StateOpen State = "open"
	// StateAcknowledged: a person dealt with this digest; a newer digest reopens it.
	StateAcknowledged State = "acknowledged"
	// StateSnoozed: hidden until SnoozedUntil, then open again.
	StateSnoozed State = "snoozed"
	// StateIgnored: muted until un-ignored; new digests still go into its history.
	StateIgnored State = "ignored"
)

// States lists every triage state, in the order a person reads them.
var States = []State{StateOpen, StateAcknowledged, StateSnoozed, StateIgnored}

// Valid reports whether s is one of States.
func (s State) Valid() bool {
	for _, v := range States {
		if s == v {
			return true
		}
	}
	return false
}

// Notification is one webhook body from Diun, as received.
type Notification struct {
	DiunVersion string
	Hostname    string
	Status      string
	Provider    string
	Image       string
	HubLink     string
	MimeType    string
	Digest      string
	Created     *time.Time
	Platform    string
	// Metadata is nil when Diun sent null or nothing.
	Metadata map[string]string
	// RawBody is the body as the webhook keeps it (Diun's fields only, as sent); the store
	// keeps its first MaxRawBody bytes, as
	// text: bytes that are not UTF-8, and NUL, become U+FFFD, and a character that the cut
	// would split is dropped.
	RawBody []byte
	// ReceivedAt defaults to the time Record is called.
	ReceivedAt time.Time
	// Source tells where the notification came from; "" is SourceWebhook.
	Source Source
	// ReadAt is when reconcile read Diun's answer (zero: not from reconcile). A notification
	// from Diun's API leaves a row that changed after it alone: a webhook raced ahead.
	ReadAt time.Time
}

// Source is where a notification came from.
type Source string

const (
	// SourceWebhook: Diun sent it to the webhook.
	SourceWebhook Source = "webhook"
	// SourceReconcile: read from Diun's gRPC API because the webhook never arrived (the
	// dashboard was down or unreachable). It follows a webhook's state rules, and is announced.
	SourceReconcile Source = "reconcile"
	// SourceBackfill: an image Diun already knew when the dashboard had no row for it (a new
	// install, or an image Diun first saw while the dashboard was away). Its new row starts
	// acknowledged ("known"), so it is neither counted as open nor announced.
	SourceBackfill Source = "backfill"
)

// Sources lists every Source.
var Sources = []Source{SourceWebhook, SourceReconcile, SourceBackfill}

// sourceOf is n's source, "" read as a webhook.
func (n Notification) sourceOf() Source {
	if n.Source == "" {
		return SourceWebhook
	}
	return n.Source
}

// initialState is the state a new row starts in: a backfilled image is known, not news.
func (n Notification) initialState() State {
	if n.sourceOf() == SourceBackfill {
		return StateAcknowledged
	}
	return StateOpen
}

// MaxRawBody is how much of a request body each event keeps.
const MaxRawBody = 64 << 10

// IsCheck reports whether n is Diun's test notification.
func (n Notification) IsCheck() bool { return n.Image == TestImage }

// RecordResult tells what Record stored.
type RecordResult struct {
	EventID int64
	// ImageID is 0 for a connection check.
	ImageID int64
	// Check is true for Diun's test notification.
	Check bool
	// State is the image's triage state after the notification.
	State State
	// Refused is true when a notification read from Diun's API (reconcile, backfill) was not
	// stored because the image already holds that digest, had it before (it is older), or
	// changed after its ReadAt: nothing changed.
	Refused bool
}

// Image is the current row of one (hostname, image).
type Image struct {
	ID             int64
	Hostname       string
	Image          string
	Digest         string
	Status         string
	Provider       string
	HubLink        string
	MimeType       string
	Platform       string
	Created        *time.Time
	Metadata       map[string]string
	FirstSeen      time.Time
	LastSeen       time.Time
	Notifications  int64
	State          State
	StateChangedAt time.Time
	SnoozedUntil   *time.Time
	// DigestChangedAt is when the current digest arrived: FirstSeen, or the notification of
	// the latest new digest, whatever the state was.
	DigestChangedAt time.Time
	// OpenedBy is why the image last became open: OpenedFirst (never reopened), OpenedByDigest,
	// OpenedBySnooze or OpenedByPerson. A move out of open keeps it.
	OpenedBy OpenedBy
	Tags     []Tag
}

// OpenedBy is why an image last became open (images.opened_by, migration 20261207000801).
type OpenedBy string

const (
	// OpenedFirst: open since Diun first reported it (or never open since).
	OpenedFirst OpenedBy = ""
	// OpenedByDigest: a new digest reopened it once acknowledged (a trigger of the upsert).
	OpenedByDigest OpenedBy = "digest"
	// OpenedBySnooze: its snooze ended (WakeSnoozed).
	OpenedBySnooze OpenedBy = "snooze"
	// OpenedByPerson: someone reopened it, or undid what had closed it (a person, an API
	// token, MQTT).
	OpenedByPerson OpenedBy = "person"
)

// Valid tells whether o is one of the reasons the store writes.
func (o OpenedBy) Valid() bool {
	switch o {
	case OpenedFirst, OpenedByDigest, OpenedBySnooze, OpenedByPerson:
		return true
	}
	return false
}

// Event is one stored notification.
type Event struct {
	ID          int64
	ImageID     int64 // 0 for a connection check
	ReceivedAt  time.Time
	DiunVersion string
	Hostname    string
	Status      string
	Provider    string
	Image       string
	HubLink     string
	MimeType    string
	Digest      string
	Created     *time.Time
	Platform    string
	Metadata    map[string]string
	RawBody     string
	Source      Source
}

// Tag is a user-defined label for grouping images.
type Tag struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	// Images is how many images carry the tag (filled by ListTags only).
	Images int64
}

// Transition is a change of triage state.
type Transition struct {
	State State
	// SnoozedUntil is required for StateSnoozed and must be nil otherwise.
	SnoozedUntil *time.Time
}

// ImageFilter narrows ListImages; zero fields match everything.
type ImageFilter struct {
	// State "" matches every state.
	State State
	// Hostname "" matches every host, unless ExactHost: then it matches the images that Diun
	// sent with no hostname.
	Hostname  string
	ExactHost bool
	Provider  string
	Tag       string
	// Query matches a case-insensitive (ASCII) substring of the image reference, or of one of
	// the names and groups that Diun's metadata gives the image: container (ctn_names,
	// ctn_name), pod, Nomad task and job names, the stack and namespace keys of Stack.
	Query string
	// Stack matches the images whose stack is exactly this: the first non-empty metadata value
	// of StackKeys. "" matches every image.
	Stack string
}

// StackKeys are the metadata keys that name an image's stack, most specific first: labels a
// person sets (diun.metadata.stack, the compose project, the swarm stack), then Kubernetes'
// and Nomad's namespaces. The migration 20261130000301_image_search keeps the same order.
var StackKeys = []string{"stack", "com.docker.compose.project", "com.docker.stack.namespace", "pod_namespace", "job_namespace"}

// StackOf is the stack of an image of provider with metadata m: the first non-empty value of
// StackKeys, else, for a swarm service, the stack that `docker stack deploy` names it after
// (SwarmStack), or "". Diun sends no stack or compose project key of its own (its metadata
// keys must match ^[a-zA-Z0-9_]+$, so no label passes com.docker.* through): a compose
// project needs a `diun.metadata.stack` label.
func StackOf(provider string, m map[string]string) string {
	for _, k := range StackKeys[:3] {
		if v := m[k]; v != "" {
			return v
		}
	}
	if s := SwarmStack(provider, m); s != "" {
		return s
	}
	for _, k := range StackKeys[3:] {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

// SwarmStack is the stack of a swarm service: its name (Diun's ctn_name) is
// "<stack>_<service>" when `docker stack deploy` made it; "" for any other provider or name.
// The migration 20261207000502_swarm_stack derives the same.
func SwarmStack(provider string, m map[string]string) string {
	if provider != "swarm" {
		return ""
	}
	stack, _, ok := strings.Cut(m["ctn_name"], "_")
	if !ok {
		return ""
	}
	return stack
}

// SearchKeys are the metadata keys whose values Query searches besides the reference.
var SearchKeys = []string{"ctn_names", "ctn_name", "pod_name", "task_name", "job_name",
	"stack", "com.docker.compose.project", "com.docker.stack.namespace", "pod_namespace", "job_namespace"}

// Sort is an order of ListImages.
type Sort string

const (
	SortLastSeen  Sort = "last_seen"  // newest activity first
	SortFirstSeen Sort = "first_seen" // newest images first
	SortImage     Sort = "image"      // image reference, then host, A to Z
	SortHost      Sort = "host"       // host, then image reference, A to Z
)

// Sorts lists every Sort.
var Sorts = []Sort{SortLastSeen, SortFirstSeen, SortImage, SortHost}

// Valid reports whether s is one of Sorts.
func (s Sort) Valid() bool {
	for _, v := range Sorts {
		if s == v {
			return true
		}
	}
	return false
}

// PageRequest asks for one page: Cursor is "" for the first one, then the NextCursor of the
// previous page.
type PageRequest struct {
	Cursor string
	Limit  int
}

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// ImagePage is one page of ListImages; NextCursor is "" on the last page.
type ImagePage struct {
	Images     []Image
	NextCursor string
}

// EventPage is one page of ListEvents; NextCursor is "" on the last page.
type EventPage struct {
	Events     []Event
	NextCursor string
}

// HostCount is how many images of one host are in one state.
type HostCount struct {
	Hostname string
	State    State
	Images   int64
}

// Summary is the overview of everything stored.
type Summary struct {
	Counts []HostCount
	// LastNotification is when the newest notification about an image arrived; test
	// notifications do not count (they are connection checks: see LastCheck).
	LastNotification *time.Time
	// LastCheck is when the newest test notification (`diun notif test`) arrived.
	LastCheck *time.Time
}

// StateCounts are how many images are in each state.
type StateCounts struct {
	Open, Acknowledged, Snoozed, Ignored int64
}

// Add counts n images in state s.
func (c *StateCounts) Add(s State, n int64) {
	switch s {
	case StateOpen:
		c.Open += n
	case StateAcknowledged:
		c.Acknowledged += n
	case StateSnoozed:
		c.Snoozed += n
	case StateIgnored:
		c.Ignored += n
	}
}

// HostCounts are the state counts of one host.
type HostCounts struct {
	Hostname string
	StateCounts
}

// ByHost folds the summary's counts into one entry per host, by host name, and the totals
// over every host: what the API's summary and the overview's headings both show.
func (s Summary) ByHost() (hosts []HostCounts, totals StateCounts) {
	index := map[string]int{}
	for _, c := range s.Counts {
		i, ok := index[c.Hostname]
		if !ok {
			i = len(hosts)
			index[c.Hostname] = i
			hosts = append(hosts, HostCounts{Hostname: c.Hostname})
		}
		hosts[i].Add(c.State, c.Images)
		totals.Add(c.State, c.Images)
	}
	slices.SortFunc(hosts, func(a, b HostCounts) int { return strings.Compare(a.Hostname, b.Hostname) })
	return hosts, totals
}
