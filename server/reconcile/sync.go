package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"diundashboard/gen/diunpb"
	"diundashboard/server/store"
)

// run is what one reconcile of one Diun did.
type run struct {
	host                   string
	learned                bool
	diunImages, diunTags   int
	here                   int
	recovered              []Recovery
	reconciled, backfilled int
	// read is set once Diun's list was read: its counts are known (0 is then a count).
	read bool
	// added is how many rows the run created (backfilled, or recovered new tags).
	added    int
	failures int
}

// current is what the dashboard holds of one image.
type current struct {
	digest   string
	lastSeen time.Time
	provider string
	hubLink  string
	metadata map[string]string
}

// MaxBackfillTags is how many tags of one repository (Diun's newest by created) a reconcile
// follows besides those the dashboard already shows: a watch_repo image with hundreds of tags
// stays bounded, and the tags a user named in Diun (webapp:1.4, 1.5 and latest) all show.
const MaxBackfillTags = 10

// hostView is what the dashboard holds of one host, as decide needs it.
type hostView struct {
	images map[string]current
	// repos is, per repository, the row of its most recently seen tag: a new tag takes its
	// provider, hub link and metadata (Diun's API gives none).
	repos map[string]current
	// tags is, per repository, the tags the dashboard has.
	tags map[string][]string
	// last is the dashboard's last notification from the host: a tag created after it
	// appeared while the dashboard was away.
	last time.Time
}

func (r *Reconciler) syncOnce(ctx context.Context, in *instance) (run, error) {
	var res run
	host, learned, err := r.hostOf(ctx, in)
	if err != nil {
		return res, err
	}
	res.host, res.learned = host, learned
	// readAt is taken before the call: a row a webhook changed while Diun answered, or since,
	// is left for the next run (it may be newer than the answer).
	readAt := time.Now()
	callCtx, cancel := context.WithTimeout(ctx, r.opts.CallTimeout)
	list, err := in.images.ImageList(callCtx, &diunpb.ImageListRequest{})
	cancel()
	if err != nil {
		return res, fmt.Errorf("ImageList: %w", err)
	}
	here, err := r.loadHere(ctx, host)
	if err != nil {
		return res, fmt.Errorf("reading the dashboard's images of %s: %w", host, err)
	}

	rec := r.recorder(ctx, in, host, here.images, &res)
	defer rec.wait()
	for _, img := range list.GetImages() {
		name := img.GetName()
		res.diunImages++
		res.diunTags += int(max(img.GetManifestsCount(), 1))
		if name == "" || img.GetLatest() == nil {
			res.failures++
			r.log.Warn("Diun listed an image without a name or manifest; skipped", "diun", in.target.Addr, "name", name)
			continue
		}
		manifests := []*diunpb.Manifest{img.GetLatest()}
		if img.GetManifestsCount() > 1 {
			// Several tags (named in Diun, or watch_repo): ImageList gives only the newest.
			callCtx, cancel := context.WithTimeout(ctx, r.opts.CallTimeout)
			ins, err := in.images.ImageInspect(callCtx, &diunpb.ImageInspectRequest{Name: name})
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				res.failures++
				r.log.Warn("cannot inspect an image in Diun; its other tags wait for the next run", "diun", in.target.Addr, "image", name, "err", err)
			} else {
				manifests = wanted(ins.GetImage().GetManifests(), here.tags[name])
			}
		}
		for _, m := range manifests {
			if n, ok := r.decide(in, host, name, m, here, readAt); ok {
				if !rec.send(n) {
					return res, ctx.Err()
				}
			}
		}
	}
	rec.wait()
	r.setWarning(in, r.checkHost(ctx, in, host, list.GetImages()))
	res.here = len(here.images) + res.added
	res.read = true
	if res.failures > 0 {
		return res, fmt.Errorf("%d of Diun's images could not be read or recorded (see the log)", res.failures)
	}
	return res, nil
}

// wanted is the tag policy: every tag the dashboard already shows (a container runs it, or a
// webhook named it), and Diun's MaxBackfillTags newest by created; never the hundreds of
// others a watch_repo image has that nobody runs.
func wanted(all []*diunpb.Manifest, tags []string) []*diunpb.Manifest {
	byNewest := slices.Clone(all)
	slices.SortStableFunc(byNewest, func(a, b *diunpb.Manifest) int {
		return b.GetCreated().AsTime().Compare(a.GetCreated().AsTime())
	})
	var out []*diunpb.Manifest
	for i, m := range byNewest {
		if i < MaxBackfillTags || containsString(tags, m.GetTag()) {
			out = append(out, m)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// splitRef splits "docker.io/library/nginx:1.29" into its repository and tag.
func splitRef(ref string) (repo, tag string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ref, "latest"
	}
	return ref[:i], ref[i+1:]
}

// decide makes the notification for one of Diun's manifests, or false when the dashboard
// holds its digest. Diun keeps only each tag's current digest, so any other is newer than the
// row whatever its created time (equal for reproducible builds, older for a rollback); the
// store refuses one the image had before, or a row a webhook changed after readAt.
func (r *Reconciler) decide(in *instance, host, name string, m *diunpb.Manifest, here hostView, readAt time.Time) (store.Notification, bool) {
	tag := m.GetTag()
	if tag == "" {
		tag = "latest"
	}
	ref := name + ":" + tag
	var created *time.Time
	if ts := m.GetCreated(); ts != nil && ts.IsValid() {
		t := ts.AsTime()
		created = &t
	}
	n := store.Notification{
		Hostname: host, Image: ref, Digest: m.GetDigest(), MimeType: m.GetMimeType(),
		Platform: m.GetPlatform(), Created: created, ReadAt: readAt,
	}
	cur, ok := here.images[ref]
	sibling, repoHere := here.repos[name]
	switch {
	case ok && cur.digest == n.Digest:
		return n, false
	case ok:
		// Diun gives no provider, hub link or metadata: the image keeps what its webhooks said.
		n.Source, n.Status = store.SourceReconcile, "update"
		n.Provider, n.HubLink, n.Metadata = cur.provider, cur.hubLink, cur.metadata
	case repoHere:
		// A tag of a repository the host shows: an update of that image, described as its
		// other tag is. Created after the host's last notification, it appeared while the
		// dashboard was away, and is news; older, it is known.
		n.Source, n.Status = store.SourceBackfill, "update"
		if created != nil && created.After(here.last) {
			n.Source = store.SourceReconcile
		}
		n.Provider, n.HubLink, n.Metadata = sibling.provider, sibling.hubLink, sibling.metadata
	default:
		n.Source, n.Status = store.SourceBackfill, "new"
	}
	n.RawBody, _ = json.Marshal(struct {
		Source   store.Source `json:"source"`
		Diun     string       `json:"diun_grpc"`
		Name     string       `json:"name"`
		Tag      string       `json:"tag"`
		Digest   string       `json:"digest"`
		MimeType string       `json:"mime_type"`
		Created  *time.Time   `json:"created"`
		Platform string       `json:"platform"`
	}{n.Source, in.target.Addr, name, m.GetTag(), n.Digest, n.MimeType, created, n.Platform})
	return n, true
}

// loadHere reads the dashboard's images of host, a page at a time.
func (r *Reconciler) loadHere(ctx context.Context, host string) (hostView, error) {
	here := hostView{images: map[string]current{}, repos: map[string]current{}, tags: map[string][]string{}}
	page := store.PageRequest{Limit: store.MaxPageSize}
	for {
		p, err := r.opts.Store.ListImages(ctx, store.ImageFilter{Hostname: host, ExactHost: true}, store.SortImage, page)
		if err != nil {
			return hostView{}, err
		}
		for _, img := range p.Images {
			cur := current{digest: img.Digest, lastSeen: img.LastSeen, provider: img.Provider, hubLink: img.HubLink, metadata: img.Metadata}
			here.images[img.Image] = cur
			repo, tag := splitRef(img.Image)
			here.tags[repo] = append(here.tags[repo], tag)
			if prev, ok := here.repos[repo]; !ok || cur.lastSeen.After(prev.lastSeen) {
				here.repos[repo] = cur
			}
			if cur.lastSeen.After(here.last) {
				here.last = cur.lastSeen
			}
		}
		if p.NextCursor == "" {
			return here, nil
		}
		page.Cursor = p.NextCursor
	}
}

// recorder records notifications with a few workers.
type recorder struct {
	ch   chan store.Notification
	wg   sync.WaitGroup
	ctx  context.Context
	once sync.Once
}

func (r *Reconciler) recorder(ctx context.Context, in *instance, host string, here map[string]current, res *run) *recorder {
	rec := &recorder{ch: make(chan store.Notification), ctx: ctx}
	var mu sync.Mutex
	for range r.opts.Workers {
		rec.wg.Go(func() {
			for n := range rec.ch {
				out, err := r.recordOne(ctx, n)
				mu.Lock()
				if _, had := here[n.Image]; err == nil && !out.Refused && !had {
					res.added++
				}
				switch {
				case err != nil:
					res.failures++
					r.metrics.errors.WithLabelValues(in.target.Addr).Inc()
					r.log.Warn("cannot record an image read from Diun", "diun", in.target.Addr, "hostname", host, "image", n.Image, "digest", n.Digest, "err", err)
				case out.Refused:
					r.metrics.refused.WithLabelValues(in.target.Addr).Inc()
					r.log.Info("left an image as it is: Diun's digest is one it had before, or a webhook changed it after Diun was read", "diun", in.target.Addr, "hostname", host, "image", n.Image, "digest", n.Digest)
				case n.Source == store.SourceBackfill:
					res.backfilled++
					r.metrics.recovered.WithLabelValues(in.target.Addr, string(n.Source)).Inc()
				default:
					res.reconciled++
					r.metrics.recovered.WithLabelValues(in.target.Addr, string(n.Source)).Inc()
					res.recovered = append(res.recovered, Recovery{Image: n.Image, Digest: n.Digest, Source: n.Source, At: time.Now()})
					r.log.Info("recovered an update the webhook missed, from Diun", "diun", in.target.Addr, "hostname", host, "image", n.Image, "digest", n.Digest, "state", out.State)
				}
				mu.Unlock()
			}
		})
	}
	return rec
}

func (rec *recorder) send(n store.Notification) bool {
	select {
	case rec.ch <- n:
		return true
	case <-rec.ctx.Done():
		return false
	}
}

func (rec *recorder) wait() {
	rec.once.Do(func() { close(rec.ch) })
	rec.wg.Wait()
}

// recordOne records n, waiting out a full ingest queue: the webhook has priority.
func (r *Reconciler) recordOne(ctx context.Context, n store.Notification) (store.RecordResult, error) {
	for attempt := 0; ; attempt++ {
		callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		res, err := r.opts.Record(callCtx, n)
		cancel()
		if !errors.Is(err, store.ErrQueueFull) || attempt >= 50 {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// finish keeps what a run did for the Connect page and the metrics.
func (r *Reconciler) finish(in *instance, res run, err error) {
	now := time.Now()
	r.metrics.runs.WithLabelValues(in.target.Addr).Inc()
	if err != nil {
		r.metrics.errors.WithLabelValues(in.target.Addr).Inc()
	} else {
		r.metrics.lastSuccess.WithLabelValues(in.target.Addr).Set(float64(now.Unix()))
	}
	if res.backfilled > 0 {
		r.log.Info("backfilled the images Diun knows as known (not announced)", "diun", in.target.Addr, "hostname", res.host, "images", res.backfilled)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	s := &in.status
	s.Skipped = false
	s.LastRun = now
	if res.host != "" {
		s.Host, s.Learned = res.host, s.Learned || res.learned
	}
	s.Reachable = err == nil
	s.Err, s.ErrDetail = "", ""
	if err != nil {
		s.Err = err.Error()
		if hint, ok := Explain(in.target.Addr, r.opts.CallTimeout, err); ok {
			s.Err, s.ErrDetail = hint, err.Error()
		}
	}
	if res.read {
		s.Counted = true
		s.DiunImages, s.DiunTags, s.Here = res.diunImages, res.diunTags, res.here
	}
	if err == nil {
		s.LastSuccess = now
	}
	s.RecoveredTotal += res.reconciled
	s.BackfilledTotal += res.backfilled
	s.Recovered = append(res.recovered, s.Recovered...)
	if len(s.Recovered) > maxRecoveries {
		s.Recovered = s.Recovered[:maxRecoveries]
	}
}
