package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nicholas-fedor/shoutrrr"
	"github.com/nicholas-fedor/shoutrrr/pkg/format"
	"github.com/nicholas-fedor/shoutrrr/pkg/router"
	"github.com/nicholas-fedor/shoutrrr/pkg/types"
	"github.com/prometheus/client_golang/prometheus"

	"diundashboard/server/store"
)

// Store is what the Service needs from the database.
type Store interface {
	store.NotifyOutbox
	Summary(ctx context.Context) (store.Summary, error)
	ListImages(ctx context.Context, f store.ImageFilter, s store.Sort, p store.PageRequest) (store.ImagePage, error)
}

// SendFunc delivers one message to one target.
type SendFunc func(ctx context.Context, t Target, title, body string) error

// Options tune a Service; zero values take the defaults.
type Options struct {
	// BaseURL (BASE_URL) makes the links to image pages; without it messages have none.
	BaseURL string
	// Location is the time zone of the digest's schedule (TZ); time.Local when nil.
	Location *time.Location
	// Now is the clock; time.Now when nil. Tests inject one.
	Now    func() time.Time
	Logger *slog.Logger
	// Retention (EVENT_RETENTION) is how long sent outbox rows are kept; 0 keeps them.
	Retention time.Duration
	// Poll is how often Run looks for due work (default 5s).
	Poll time.Duration
	// Send delivers a message; shoutrrr when nil.
	Send SendFunc
	// SendTimeout bounds one delivery (default 30s); LeaseFor, how long a row is taken by a
	// worker that sends it (default 2m, longer than SendTimeout), after which another may.
	SendTimeout, LeaseFor time.Duration
}

// Backoff of failed deliveries: 10s, 20s, 40s... at most an hour.
const (
	backoffFirst = 10 * time.Second
	backoffMax   = time.Hour
)

// composeLimit is how many queued images one message takes at most.
const composeLimit = 1000

// digestGrace is how late a digest may still go (a server that was down at 08:00 and is back
// at 08:20 sends it; one back at noon waits for the next).
const digestGrace = time.Hour

// Service composes and sends notifications. Several Services (replicas) may share one
// PostgreSQL database: each message is sent by one of them.
type Service struct {
	st     Store
	cfg    Config
	opts   Options
	log    *slog.Logger
	keys   []string
	byKey  map[string]Target
	kick   chan struct{}
	sent   *prometheus.CounterVec
	failed *prometheus.CounterVec
	unsent prometheus.Gauge

	mu         sync.Mutex
	digestDone time.Time // the last digest slot written (or found written)
	lastPrune  time.Time
	// queueSet is true once this start's SetNotifyQueue succeeded.
	queueSet bool
}

// New makes a Service. It sends nothing until Run or Tick.
func New(st Store, cfg Config, opts Options) *Service {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 30 * time.Second
	}
	if opts.LeaseFor <= opts.SendTimeout {
		opts.LeaseFor = max(2*time.Minute, 2*opts.SendTimeout)
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	s := &Service{st: st, cfg: cfg, opts: opts, log: opts.Logger, byKey: map[string]Target{}, kick: make(chan struct{}, 1),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "diundashboard", Name: "notify_sent_total",
			Help: "Notifications delivered, per kind (new, digest, test); one per message and destination."}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "diundashboard", Name: "notify_failures_total",
			Help: "Failed delivery attempts of notifications, per kind; each is retried with backoff."}, []string{"kind"}),
		unsent: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "diundashboard", Name: "notify_unsent",
			Help: "Notifications in the outbox not delivered yet (all replicas)."}),
	}
	for _, k := range []string{store.OutboxNew, store.OutboxDigest, store.OutboxTest} {
		s.sent.WithLabelValues(k)
		s.failed.WithLabelValues(k)
	}
	for _, t := range cfg.Targets {
		s.keys = append(s.keys, t.Key)
		s.byKey[t.Key] = t
	}
	if s.opts.Send == nil {
		s.opts.Send = s.shoutrrrSend
	}
	return s
}

// Collectors are the Service's metrics, to register on the server's registry.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.sent, s.failed, s.unsent}
}

// Config is the configuration the Service runs with.
func (s *Service) Config() Config { return s.cfg }

// Run works until ctx ends: every Poll, and at once after SendTest.
func (s *Service) Run(ctx context.Context) {
	s.logStart()
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("notifications: the outbox could not be worked on; trying again shortly", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

// Tick does what is due now: compose the burst of new updates, the digest, send the outbox,
// prune it. Errors of single deliveries are recorded on their rows, not returned.
func (s *Service) Tick(ctx context.Context) error {
	now := s.opts.Now()
	if err := s.composeNew(ctx, now); err != nil {
		return fmt.Errorf("composing the message about new updates: %w", err)
	}
	if err := s.composeDigest(ctx, now); err != nil {
		return fmt.Errorf("composing the digest: %w", err)
	}
	if err := s.sendDue(ctx); err != nil {
		return fmt.Errorf("sending: %w", err)
	}
	s.prune(ctx, now)
	if n, err := s.st.CountOutboxUnsent(ctx); err == nil {
		s.unsent.Set(float64(n))
	}
	return nil
}

// logStart says once whether notifications are on, and to where (secrets masked).
func (s *Service) logStart() {
	if !s.cfg.Enabled() {
		s.log.Debug("notifications are off: NOTIFY_URLS is empty")
		return
	}
	labels := make([]string, len(s.cfg.Targets))
	for i, t := range s.cfg.Targets {
		labels[i] = t.Label
	}
	s.log.Info("notifications are on", "to", strings.Join(labels, " "), "new", s.cfg.NewSetting, "digest", s.cfg.DigestSetting,
		"links", s.opts.BaseURL != "", "max_bytes", s.cfg.MessageLimit())
}

// staleAfter is how old a queued image may be and still be announced: older ones come from
// an import or from a time when notifications were off.
func (s *Service) staleAfter() time.Duration { return max(24*time.Hour, 10*s.cfg.NewAfter) }

func (s *Service) composeNew(ctx context.Context, now time.Time) error {
	on := s.cfg.Enabled() && s.cfg.NewAfter != 0
	if !s.queueSet {
		// Every replica sharing a database must have the same NOTIFY_URLS and NOTIFY_NEW:
		// the last to start sets the queue for all.
		if err := s.st.SetNotifyQueue(ctx, on); err != nil {
			return err
		}
		s.queueSet = true
	}
	if !on {
		// Nobody takes them: the queue is emptied so that it does not grow.
		_, err := s.st.DropQueuedBefore(ctx, now.Add(time.Second))
		return err
	}
	if _, err := s.st.DropQueuedBefore(ctx, now.Add(-s.staleAfter())); err != nil {
		return err
	}
	targets := s.outboxTargets()
	// A backlog beyond composeLimit goes out as several messages.
	for range 10 {
		changed, err := s.st.ComposeQueued(ctx, composeLimit, targets, now, func(items []store.QueuedUpdate) (*store.OutboxMessage, error) {
			first := time.Time{}
			for _, it := range items {
				if it.State == store.StateOpen && (first.IsZero() || it.QueuedAt.Before(first)) {
					first = it.QueuedAt
				}
			}
			if !first.IsZero() && now.Sub(first) < s.cfg.NewAfter {
				return nil, nil // the burst is still arriving
			}
			open := openOnly(items)
			msg := composeNew(open, now, s.opts.BaseURL, s.cfg.MessageLimit(), plain)
			msg.Content = encodeContent(content{Items: open})
			return msg, nil
		})
		if err != nil || !changed {
			return err
		}
	}
	return nil
}

func (s *Service) outboxTargets() []store.OutboxTarget {
	out := make([]store.OutboxTarget, len(s.cfg.Targets))
	for i, t := range s.cfg.Targets {
		out[i] = store.OutboxTarget{Key: t.Key, Label: t.Label}
	}
	return out
}

func (s *Service) composeDigest(ctx context.Context, now time.Time) error {
	if !s.cfg.Enabled() || !s.cfg.Digest.On() {
		return nil
	}
	slot := s.cfg.Digest.Last(now, s.opts.Location)
	s.mu.Lock()
	done := !s.digestDone.Before(slot)
	s.mu.Unlock()
	if done || now.Sub(slot) > digestGrace {
		return nil
	}
	in, err := s.digestInput(ctx, slot)
	if err != nil {
		return err
	}
	if msg := composeDigest(in, now, s.opts.BaseURL, s.cfg.MessageLimit(), plain); msg != nil {
		msg.Content = encodeContent(content{Digest: &in})
		// The slot is unique in the outbox: another replica's digest of it makes this a no-op.
		if _, err := s.st.EnqueueOutbox(ctx, *msg, s.outboxTargets(), now); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.digestDone = slot
	s.mu.Unlock()
	return nil
}

// digestHostsNamed is how many hosts a digest reads images of: more never fit a message.
const digestHostsNamed = 100

// digestInput reads what the digest of slot says.
func (s *Service) digestInput(ctx context.Context, slot time.Time) (digestInput, error) {
	in := digestInput{Slot: slot}
	sum, err := s.st.Summary(ctx)
	if err != nil {
		return in, err
	}
	hosts, totals := sum.ByHost()
	in.Total = totals.Open
	for _, h := range hosts {
		if h.Open == 0 {
			continue
		}
		dh := digestHost{Hostname: h.Hostname, Open: h.Open}
		if len(in.Hosts) < digestHostsNamed {
			page, err := s.st.ListImages(ctx, store.ImageFilter{State: store.StateOpen, Hostname: h.Hostname, ExactHost: true}, store.SortImage, store.PageRequest{Limit: digestNames})
			if err != nil {
				return in, err
			}
			for _, img := range page.Images {
				dh.Images = append(dh.Images, img.Image)
			}
		}
		in.Hosts = append(in.Hosts, dh)
	}
	if img, err := s.st.OldestOpenImage(ctx); err == nil {
		in.Oldest = &store.Image{ID: img.ID, Hostname: img.Hostname, Image: img.Image, StateChangedAt: img.StateChangedAt}
	} else if !errors.Is(err, store.ErrNotFound) {
		return in, err
	}
	return in, nil
}

// sendDue sends every row due now, one at a time; each is leased first, so that another
// replica does not send it too.
func (s *Service) sendDue(ctx context.Context) error {
	if len(s.keys) == 0 {
		return nil
	}
	for range 100 {
		now := s.opts.Now()
		row, err := s.st.LeaseOutbox(ctx, s.keys, now, now.Add(s.opts.LeaseFor))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		s.deliver(ctx, row)
	}
	return nil
}

func (s *Service) deliver(ctx context.Context, row store.OutboxRow) {
	t := s.byKey[row.Target]
	// The outcome is written even when ctx ended meanwhile (shutdown), so that a message
	// sent is not sent again.
	markCtx, cancelMark := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelMark()
	title, body, err := s.render(ctx, row, t)
	if err == nil && body == "" {
		// Every image of the message was acknowledged, snoozed or ignored before it went.
		s.log.Info("notifications: nothing left to say, not sent", "target", t.Label, "kind", row.Kind)
		if err := s.st.MarkOutboxSent(markCtx, row.ID, s.opts.Now()); err != nil {
			s.log.Error("notifications: could not record a message left unsent", "target", t.Label, "err", err)
		}
		return
	}
	if err == nil {
		sendCtx, cancel := context.WithTimeout(ctx, s.opts.SendTimeout)
		err = s.opts.Send(sendCtx, t, title, body)
		cancel()
	}
	now := s.opts.Now()
	if err == nil {
		s.sent.WithLabelValues(row.Kind).Inc()
		if err := s.st.MarkOutboxSent(markCtx, row.ID, now); err != nil {
			s.log.Error("notifications: sent, but could not record it: it may be sent again", "target", t.Label, "kind", row.Kind, "err", err)
		}
		return
	}
	s.failed.WithLabelValues(row.Kind).Inc()
	msg := shortError(t.Scrub(err.Error()))
	wait := backoff(row.Attempts)
	s.log.Warn("notifications: delivery failed; retrying", "target", t.Label, "kind", row.Kind, "attempt", row.Attempts, "retry_in", wait.String(), "err", msg)
	if err := s.st.MarkOutboxFailed(markCtx, row.ID, msg, now.Add(wait)); err != nil {
		s.log.Error("notifications: could not record a failed delivery", "target", t.Label, "err", err)
	}
}

// backoff is the wait after the attempts-th failure.
func backoff(attempts int64) time.Duration {
	d := backoffFirst
	for i := int64(1); i < attempts && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

func (s *Service) prune(ctx context.Context, now time.Time) {
	if s.opts.Retention <= 0 {
		return
	}
	s.mu.Lock()
	due := now.Sub(s.lastPrune) >= time.Hour
	if due {
		s.lastPrune = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	if n, err := s.st.PruneOutbox(ctx, now.Add(-s.opts.Retention)); err != nil {
		s.log.Warn("notifications: could not prune the outbox", "err", err)
	} else if n > 0 {
		s.log.Info("notifications: pruned the outbox", "rows", n)
	}
}

// ErrNoTargets is SendTest's answer when NOTIFY_URLS is empty.
var ErrNoTargets = errors.New("no NOTIFY_URLS are configured")

// SendTest puts a test message for every target into the outbox and wakes the worker.
func (s *Service) SendTest(ctx context.Context, actor string) error {
	if !s.cfg.Enabled() {
		return ErrNoTargets
	}
	now := s.opts.Now()
	if _, err := s.st.EnqueueOutbox(ctx, testMessage(actor, now), s.outboxTargets(), now); err != nil {
		return err
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// Status is what the Notifications page shows.
type Status struct {
	Config     Config
	NextDigest time.Time
	Recent     []store.OutboxRow
	Unsent     int64
	// LastFailure is the newest row whose last attempt failed, if any.
	LastFailure *store.OutboxRow
	HasBaseURL  bool
	// Zone names the digest's time zone: TZ, or the zone's abbreviation.
	Zone string
}

// Status reads the recent outbox.
func (s *Service) Status(ctx context.Context, limit int) (Status, error) {
	st := Status{Config: s.cfg, HasBaseURL: s.opts.BaseURL != "", Zone: s.zoneName()}
	if s.cfg.Digest.On() {
		st.NextDigest = s.cfg.Digest.Next(s.opts.Now(), s.opts.Location)
	}
	rows, err := s.st.ListOutbox(ctx, limit)
	if err != nil {
		return st, err
	}
	st.Recent = rows
	for i := range rows {
		s.relabel(&rows[i])
	}
	for i := range rows {
		if rows[i].LastError != "" {
			st.LastFailure = &rows[i]
			break
		}
	}
	st.Unsent, err = s.st.CountOutboxUnsent(ctx)
	return st, err
}

// relabel masks a row's destination and error as this version masks them: a row written
// before a service's secrets were known to be secret (a gotify token, an ntfy topic) keeps
// them in its label and error.
func (s *Service) relabel(row *store.OutboxRow) {
	for _, t := range s.cfg.Targets {
		if t.Key == row.Target {
			row.TargetLabel, row.LastError = t.Label, t.Scrub(row.LastError)
			return
		}
	}
	// A destination no longer in NOTIFY_URLS: its old label is all there is to mask by.
	old := NewTarget(row.TargetLabel)
	row.TargetLabel, row.LastError = old.Label, old.Scrub(row.LastError)
}

// zoneName is the digest's time zone as people know it: Europe/Paris rather than "Local".
func (s *Service) zoneName() string {
	if name := s.opts.Location.String(); name != "Local" {
		return name
	}
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" {
		return tz
	}
	abbr, _ := s.opts.Now().In(s.opts.Location).Zone()
	return abbr
}

// takesTitle reports whether the service of rawURL has a title setting. Most have; one that
// has not refuses a title parameter ("not a valid config key: title") and sends nothing.
// When the service's settings cannot be read, it answers true, as every send did before.
func takesTitle(r *router.ServiceRouter, rawURL string) (takes bool) {
	defer func() {
		if recover() != nil { // format.GetServiceConfig panics on a service without a Config
			takes = true
		}
	}()
	svc, err := r.Locate(rawURL)
	if err != nil {
		return true
	}
	// The keys that a send's params may set, as the service's own check reads them.
	return slices.Contains(format.GetConfigQueryResolver(format.GetServiceConfig(svc)).QueryFields(), "title")
}

// shoutrrrSend sends with a router of its own per call: shoutrrr's routers are not meant to
// be shared between goroutines, and a send is rare.
func (s *Service) shoutrrrSend(ctx context.Context, t Target, title, body string) error {
	r, err := shoutrrr.CreateSender(t.URL)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		r.Timeout = time.Until(dl)
	} else {
		r.Timeout = router.DefaultTimeout
	}
	params := types.Params{}
	if takesTitle(r, t.URL) {
		params.SetTitle(title)
	} else {
		// A service without a title setting (PagerDuty) refuses the parameter and sends
		// nothing: the title leads the body instead.
		body = title + "\n\n" + body
	}
	var errs []error
	// Composed for the smallest limit of all targets already; this guards the rest (a test
	// message, a digest) against a service's hard limit.
	for _, e := range r.Send(fitBody(body, bodyLimit(t.Limit(), title)), &params) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}
