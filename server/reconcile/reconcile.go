package reconcile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"diundashboard/gen/diunpb"
	"diundashboard/server/store"
)

// Store is what the Reconciler reads and the lease it takes.
type Store interface {
	ListImages(ctx context.Context, f store.ImageFilter, s store.Sort, p store.PageRequest) (store.ImagePage, error)
	ListChecks(ctx context.Context, limit int) ([]store.Event, error)
	HostHasWebhook(ctx context.Context, hostname string) (bool, error)
	Setting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error
	TakeLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
}

// RecordFunc is the one write path (triage.Service.Record).
type RecordFunc func(ctx context.Context, n store.Notification) (store.RecordResult, error)

// Options configure a Reconciler; zero values take the defaults.
type Options struct {
	Targets []Target
	// Interval is DIUN_RECONCILE: 0 reconciles on start and after a silent host's webhook only.
	Interval time.Duration
	Store    Store
	Record   RecordFunc
	Logger   *slog.Logger
	// Registry receives the diundashboard_reconcile_* metrics; nil: not exported.
	Registry prometheus.Registerer
	// CallTimeout bounds each gRPC call (default 10s): a Diun that hangs costs that, once.
	CallTimeout time.Duration
	// LearnTimeout is how long to wait for the test notification NotifTest sends (default 30s).
	LearnTimeout time.Duration
	// RetryMin is the first wait after a failed run (default 5s); it doubles up to the interval
	// (5 minutes at most).
	RetryMin time.Duration
	// Holder names this process in the lease; random when "".
	Holder string
	// Workers is how many notifications are recorded at once per Diun (default 32): enough to
	// fill the ingest pipeline's group commits (8 took 20 s for a 5 × 2,000 backfill, 32 took
	// 6 s: BenchmarkReconcile5x2000), few enough never to crowd the webhook out of its queue
	// of 2,048.
	Workers int
}

// Reconciler keeps the dashboard's current digests equal to Diun's.
type Reconciler struct {
	opts      Options
	log       *slog.Logger
	instances []*instance
	metrics   *metrics
	// learnMu lets one NotifTest run at a time, so that the test notification that arrives
	// next is that Diun's.
	learnMu sync.Mutex
	mu      sync.Mutex
	// lastWebhook is when each host's previous webhook arrived (Observe).
	lastWebhook map[string]time.Time
}

type instance struct {
	target Target
	conn   *grpc.ClientConn
	images diunpb.ImageServiceClient
	notif  diunpb.NotifServiceClient
	kick   chan struct{}

	mu     sync.Mutex
	status Status
	// learnErr is why this start's one NotifTest did not tell the hostname (see learn).
	learnErr error
}

// Status is what the Connect page shows of one Diun.
type Status struct {
	Addr string
	// Host is the hostname of its webhooks ("" until learned); Learned tells it came from
	// its test notification rather than DIUN_GRPC.
	Host    string
	Learned bool
	// Reachable is false after a failed run; Err says why, in a sentence that tells what to
	// check (Explain), and ErrDetail is the raw error when Err explains one of gRPC's.
	Reachable      bool
	Err, ErrDetail string
	// Counted tells that a run has read Diun's list: until then DiunImages, DiunTags and Here
	// are unknown, not 0. DiunImages and DiunTags are what Diun's database holds (images, and
	// tags over all of them) at the last read; Here is how many images of Host the dashboard
	// had then.
	Counted                    bool
	DiunImages, DiunTags, Here int
	// LastRun is when the last run ended; LastSuccess, the last one that read Diun fully.
	LastRun, LastSuccess time.Time
	// Warning, when set, says that the hostname DIUN_GRPC gives this Diun is not the one its
	// webhooks carry (checkHost).
	Warning string
	// Skipped is set when another replica held the lease at the last run.
	Skipped bool
	// Recovered are the updates the last runs recovered (newest first, at most 20);
	// RecoveredTotal and BackfilledTotal count since start.
	Recovered                       []Recovery
	RecoveredTotal, BackfilledTotal int
}

// Recovery is one digest recorded from Diun.
type Recovery struct {
	Image, Digest string
	Source        store.Source
	At            time.Time
}

const maxRecoveries = 20

// New validates the options and prepares one gRPC client per Diun; nothing is dialled yet.
func New(opts Options) (*Reconciler, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 10 * time.Second
	}
	if opts.LearnTimeout <= 0 {
		opts.LearnTimeout = 30 * time.Second
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 5 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 32
	}
	if opts.Holder == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		opts.Holder = hex.EncodeToString(b)
	}
	if opts.Store == nil || opts.Record == nil {
		return nil, errors.New("reconcile: Store and Record are required")
	}
	r := &Reconciler{opts: opts, log: opts.Logger, lastWebhook: map[string]time.Time{}}
	r.metrics = newMetrics(opts.Registry)
	for _, t := range opts.Targets {
		conn, err := grpc.NewClient("passthrough:///"+t.Addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			// A watch_repo image with hundreds of tags and labels is far below this; a Diun
			// answering garbage cannot make the dashboard hold more.
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(32<<20)))
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("DIUN_GRPC %s: %w", t.Addr, err)
		}
		in := &instance{target: t, conn: conn, images: diunpb.NewImageServiceClient(conn),
			notif: diunpb.NewNotifServiceClient(conn), kick: make(chan struct{}, 1)}
		in.status = Status{Addr: t.Addr, Host: t.Host}
		r.instances = append(r.instances, in)
		r.metrics.init(t.Addr)
	}
	return r, nil
}

// Close closes the gRPC clients.
func (r *Reconciler) Close() {
	for _, in := range r.instances {
		_ = in.conn.Close()
	}
}

// Statuses tells how each Diun is, in DIUN_GRPC's order.
func (r *Reconciler) Statuses() []Status {
	out := make([]Status, 0, len(r.instances))
	for _, in := range r.instances {
		in.mu.Lock()
		s := in.status
		s.Recovered = append([]Recovery(nil), s.Recovered...)
		in.mu.Unlock()
		out = append(out, s)
	}
	return out
}

// Observe is told of every webhook notification (hostname, when). A webhook from a host that
// had been silent longer than the interval suggests the dashboard (or the network) was away:
// that host's Diun is reconciled at once.
func (r *Reconciler) Observe(hostname string, at time.Time) {
	// Only the hosts of a Diun in DIUN_GRPC are tracked: the map is keyed by what webhooks say,
	// so any other name would only grow it.
	var mine []*instance
	for _, in := range r.instances {
		if in.host() == hostname {
			mine = append(mine, in)
		}
	}
	if len(mine) == 0 {
		return
	}
	gap := r.opts.Interval
	if gap <= 0 {
		gap = DefaultInterval
	}
	r.mu.Lock()
	prev, ok := r.lastWebhook[hostname]
	r.lastWebhook[hostname] = at
	r.mu.Unlock()
	if !ok || at.Sub(prev) <= gap {
		return
	}
	for _, in := range mine {
		select {
		case in.kick <- struct{}{}:
		default:
		}
	}
}

func (in *instance) host() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.status.Host
}

// Run reconciles every Diun on start, then every interval, after a silent host's webhook and,
// after a failure, with backoff, until ctx ends. A Diun that fails never holds up the others.
func (r *Reconciler) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, in := range r.instances {
		wg.Go(func() { r.loop(ctx, in) })
	}
	wg.Wait()
}

func (r *Reconciler) loop(ctx context.Context, in *instance) {
	retry := time.Duration(0)
	// The start's run and a kick (a webhook from a silent host) run at once; a timer's run is
	// skipped when a replica ran this Diun less than an interval ago.
	periodic := false
	for {
		err := r.sync(ctx, in, periodic)
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			retry = min(max(2*retry, r.opts.RetryMin), r.maxRetry())
			wait = retry
			if hint, ok := Explain(in.target.Addr, r.opts.CallTimeout, err); ok {
				r.log.Warn("cannot reconcile with Diun; retrying", "diun", in.target.Addr, "retry_in", wait.String(), "hint", hint, "err", err)
			} else {
				r.log.Warn("cannot reconcile with Diun; retrying", "diun", in.target.Addr, "retry_in", wait.String(), "err", err)
			}
		default:
			retry = 0
			wait = r.opts.Interval
		}
		ok, kicked := sleep(ctx, wait, in.kick)
		if !ok {
			return
		}
		periodic = !kicked && err == nil
	}
}

func (r *Reconciler) maxRetry() time.Duration {
	if r.opts.Interval > 0 {
		return min(r.opts.Interval, 5*time.Minute)
	}
	return 5 * time.Minute
}

// runLease bounds one run: the lease keeps two replicas from reconciling one Diun at the same
// time, and is given back when the run ends. (It used to be held for most of the interval, so a
// restarted dashboard, a new holder, skipped its start's run for up to 13 minutes: found by an
// outside test with the real Diun.)
const runLease = 2 * time.Minute

// lastRunKey is the setting that holds when a run of the Diun at addr last succeeded, on any
// replica: the timer's runs are spaced by it.
func lastRunKey(addr string) string { return "reconcile_last_run " + addr }

// Sync reconciles the Diun at addr now, unless another replica is reconciling it at this moment.
func (r *Reconciler) Sync(ctx context.Context, addr string) error {
	for _, in := range r.instances {
		if in.target.Addr == addr {
			return r.sync(ctx, in, false)
		}
	}
	return fmt.Errorf("no Diun at %s in DIUN_GRPC", addr)
}

// sync runs once; periodic (a timer's run) skips when a replica ran less than 9/10 of the
// interval ago, so that replicas reconcile each Diun about once per interval.
func (r *Reconciler) sync(ctx context.Context, in *instance, periodic bool) error {
	addr := in.target.Addr
	now := time.Now()
	if periodic {
		if v, err := r.opts.Store.Setting(ctx, lastRunKey(addr)); err == nil {
			if last, err := time.Parse(time.RFC3339Nano, v); err == nil && now.Sub(last) < r.opts.Interval*9/10 {
				r.skipped(in)
				return nil
			}
		}
	}
	name := "reconcile " + addr
	taken, err := r.opts.Store.TakeLease(ctx, name, r.opts.Holder, now, now.Add(runLease))
	if err != nil {
		return fmt.Errorf("cannot take the reconcile lease: %w", err)
	}
	if !taken {
		r.skipped(in)
		return nil
	}
	run, err := r.syncOnce(ctx, in)
	r.finish(in, run, err)
	// Given back (held until now: expired) whatever the outcome; a failure to do so only makes
	// the others wait out runLease.
	end := time.Now()
	_, _ = r.opts.Store.TakeLease(context.WithoutCancel(ctx), name, r.opts.Holder, end, end)
	if err == nil {
		_ = r.opts.Store.PutSetting(context.WithoutCancel(ctx), lastRunKey(addr), end.UTC().Format(time.RFC3339Nano))
	}
	return err
}

func (r *Reconciler) skipped(in *instance) {
	in.mu.Lock()
	in.status.Skipped = true
	in.mu.Unlock()
}

// sleep waits d (forever when 0) or until kick; ok is false when ctx ended, kicked when the
// kick woke it.
func sleep(ctx context.Context, d time.Duration, kick <-chan struct{}) (ok, kicked bool) {
	var tick <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		tick = t.C
	}
	select {
	case <-ctx.Done():
		return false, false
	case <-tick:
		return true, false
	case <-kick:
		return true, true
	}
}
