// Package mqtt shows the dashboard in Home Assistant through an MQTT broker, with Home
// Assistant's MQTT discovery: one device per Diun host, one update entity per image (its
// Install acknowledges the image) with an Ignore button beside it, or neither with
// MQTT_COMMANDS=off, a sensor of open updates per host and one over all of them, and an
// availability topic that the broker's last will turns "offline" when the dashboard goes away.
//
// Everything it publishes is retained, and derived from the store: after any change the
// live hub reports, the bridge reads every image and publishes what differs from what it
// published last (a retained config with an empty payload removes a deleted image). On
// every (re)connection it publishes everything again, once, which also covers a broker that
// lost its retained messages; Home Assistant's birth message does too, at most once per
// Options.BirthQuiet. Commands from Home Assistant go through the triage service, like any other
// change (audit trail, live event), as the actor "mqtt:<command topic>" (see commands.go).
//
// Several replicas may run a bridge each on the same broker and prefixes: they publish the
// same retained messages, and a command handled by two of them moves the image once (the
// second finds it moved already).
package mqtt

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"golang.org/x/time/rate"

	"diundashboard/internal/textutil"
	"diundashboard/server/live"
	"diundashboard/server/store"
)

// ActorPrefix starts the actor of the changes Home Assistant asks for in the audit trail;
// the command topic follows, so that the trail says which image's topic was used.
const ActorPrefix = "mqtt:"

// defaultBirthQuiet is the least time between two full publications for Home Assistant's
// birth messages: the configs are retained, so a birth needs none, and anyone on the broker
// can send one (each full publication is every config and state).
const defaultBirthQuiet = 5 * time.Minute

// Commands are applied at most commandRate a second after a burst of commandBurst.
const (
	commandRate  = 1
	commandBurst = 30
)

// Source is what the bridge reads: the store.
type Source interface {
	ListImages(ctx context.Context, f store.ImageFilter, s store.Sort, p store.PageRequest) (store.ImagePage, error)
	ListStateChanges(ctx context.Context, imageID int64, limit int) ([]store.StateChange, error)
}

// Changer applies Home Assistant's commands: the triage service.
type Changer interface {
	SetStates(ctx context.Context, ids []int64, t store.Transition, actor string) ([]store.StateChange, error)
}

// Options configure a Bridge.
type Options struct {
	Config Config
	Store  Source
	Triage Changer
	// Hub reports every change; the bridge republishes after each.
	Hub *live.Hub
	// BaseURL, when set, links the devices to the dashboard.
	BaseURL string
	Version string
	Logger  *slog.Logger
	// TLS configures mqtts:// connections; nil uses the system's roots.
	TLS *tls.Config
	// ClientID is this replica's MQTT client id; "" makes a random one, so that replicas
	// never push each other off the broker.
	ClientID string
	// StoreTimeout bounds the database work of one republish or command.
	StoreTimeout time.Duration
	// MaxRetryInterval bounds the wait between connection attempts (1 minute when 0), and
	// between attempts to update Home Assistant after the database failed.
	MaxRetryInterval time.Duration
	// ConnectTimeout bounds one connection attempt (10 seconds when 0): a broker that is
	// going down may accept a connection and never answer it.
	ConnectTimeout time.Duration
	// StatusWait is how long the availability publish may take before the bridge says the
	// broker is slow (5 seconds when 0).
	StatusWait time.Duration
	// CommandLimit bounds how fast commands are applied (commandRate a second after a burst
	// of commandBurst when nil).
	CommandLimit *rate.Limiter
	// BirthQuiet is the least time from a full publication to one for a birth message of
	// Home Assistant (defaultBirthQuiet when 0).
	BirthQuiet time.Duration
}

// Bridge keeps Home Assistant in step with the store. Run it once.
type Bridge struct {
	opts   Options
	log    *slog.Logger
	t      topics
	build  builder
	client paho.Client

	// Signals from the client's goroutines to Run's loop; each holds at most one.
	connected chan struct{} // a (re)connection: publish everything
	wake      chan struct{} // something to look at: strays, Home Assistant's birth
	cmdReady  chan struct{} // a command is queued
	queue     *commandQueue
	// known is images as of the last read, for the client's goroutine to tell commands for
	// unknown images without a database read.
	known    atomic.Pointer[map[string]knownImage]
	logLimit logLimit
	online   atomic.Bool
	// session counts connections and losses: a publication of an earlier session is never
	// confirmed (the broker forgets it with the clean session), so waiting for it is over.
	session atomic.Int64

	mu sync.Mutex
	// strays are discovery topics of ours the broker replayed as retained: configs left
	// from an earlier run, perhaps of images deleted since.
	strays map[string]bool
	// birth says Home Assistant (re)started.
	birth bool
	// healStatus asks to set the status online again: another replica left and the broker
	// published its last will, or it said goodbye, while this one still runs.
	healStatus bool

	// Owned by Run's goroutine.
	published map[string]string     // retained topic → payload, as last published
	images    map[string]knownImage // image base topic → image
	acked     map[int64]ackedDigest
	built     map[int64]builtImage
	// fullSession is the connection whose full publication is done; lastFull its time.
	fullSession int64
	lastFull    time.Time
	lastRead    time.Time // when the last read of every image began
	limiter     *rate.Limiter
}

// ackedDigest caches an open image's last acknowledged digest for as long as its state did
// not change.
type ackedDigest struct {
	changedAt time.Time
	digest    string
}

// New prepares a bridge; Run connects it.
func New(opts Options) *Bridge {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = 30 * time.Second
	}
	if opts.MaxRetryInterval <= 0 {
		opts.MaxRetryInterval = time.Minute
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.StatusWait <= 0 {
		opts.StatusWait = 5 * time.Second
	}
	if opts.ClientID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		opts.ClientID = "diundashboard-" + hex.EncodeToString(b[:])
	}
	if opts.BirthQuiet <= 0 {
		opts.BirthQuiet = defaultBirthQuiet
	}
	if opts.CommandLimit == nil {
		opts.CommandLimit = rate.NewLimiter(commandRate, commandBurst)
	}
	t := newTopics(opts.Config)
	br := &Bridge{
		opts: opts, log: opts.Logger.With("broker", opts.Config.Broker.String()), t: t,
		build:     builder{t: t, baseURL: opts.BaseURL, version: opts.Version, readOnly: opts.Config.ReadOnly},
		connected: make(chan struct{}, 1), wake: make(chan struct{}, 1), cmdReady: make(chan struct{}, 1), queue: newCommandQueue(),
		strays: map[string]bool{}, published: map[string]string{}, images: map[string]knownImage{}, acked: map[int64]ackedDigest{},
		built: map[int64]builtImage{}, limiter: opts.CommandLimit,
	}
	co := paho.NewClientOptions().
		AddBroker(opts.Config.Broker.serverURL()).
		SetClientID(opts.ClientID).
		SetUsername(opts.Config.Broker.Username).
		SetPassword(opts.Config.Broker.Password).
		SetCleanSession(true).
		SetKeepAlive(30*time.Second).
		SetConnectTimeout(opts.ConnectTimeout).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(opts.MaxRetryInterval).
		// A broken connection fires the will: every entity goes unavailable.
		SetWill(t.status(), payloadOffline, 1, true).
		SetOnConnectHandler(br.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			br.online.Store(false)
			br.session.Add(1)
			br.log.Warn("lost the connection to the MQTT broker; reconnecting", "err", err)
		})
	if opts.Config.Broker.TLS {
		cfg := opts.TLS
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		co.SetTLSConfig(cfg)
	}
	br.client = paho.NewClient(co)
	return br
}

// Run connects to the broker (retrying with backoff) and keeps Home Assistant up to date
// until ctx ends; then it marks the dashboard offline and disconnects.
func (b *Bridge) Run(ctx context.Context) {
	b.log.Info("Home Assistant over MQTT is on; connecting to the broker", "discovery_prefix", b.t.discovery, "topic_prefix", b.t.base,
		"birth_topic", b.t.birth, "commands", !b.opts.Config.ReadOnly)
	events, unsubscribe := b.opts.Hub.Subscribe()
	defer unsubscribe()
	go b.connect(ctx)
	defer b.disconnect()

	dirty, all := false, false
	// retry fires a while after a sync failed (the database or the broker did not answer),
	// so that Home Assistant catches up even if nothing else changes.
	var retry <-chan time.Time
	// nextCommand fires when queued commands may go on (the rate limit, or the next read
	// for unknown images).
	var nextCommand <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry:
			retry = nil
		case <-nextCommand:
			nextCommand = nil
		case <-b.cmdReady:
		case ev, ok := <-events:
			if !ok { // the hub closed: the server is shutting down
				events = nil
				continue
			}
			// Diun's test notification changes no image.
			dirty = dirty || ev.Kind != live.KindCheck
			dirty = drain(events) || dirty
		case <-b.connected:
			// A new connection: the sync publishes everything, once (see fullSession).
			dirty = true
		case <-b.wake:
			b.mu.Lock()
			dirty = dirty || len(b.strays) > 0
			if b.birth {
				if time.Since(b.lastFull) < b.opts.BirthQuiet {
					if ok, held := b.logLimit.allow("birth"); ok {
						b.log.Debug("Home Assistant's birth message came soon after everything was published; the retained configs serve it",
							"birth_topic", b.t.birth, "similar_not_logged", held)
					}
				} else {
					dirty, all = true, true
				}
			}
			b.birth = false
			heal := b.healStatus
			b.healStatus = false
			b.mu.Unlock()
			if heal && b.online.Load() {
				b.log.Debug("the availability topic says offline while this dashboard is connected (another replica left): setting it online again")
				b.publishStatus(payloadOnline)
			}
		}
		if nextCommand == nil {
			if wait := b.runCommands(ctx); wait > 0 {
				nextCommand = time.After(wait)
			}
		}
		if dirty && b.online.Load() {
			if err := b.sync(ctx, all); err != nil {
				if ctx.Err() != nil {
					return
				}
				wait := min(syncRetry, b.opts.MaxRetryInterval)
				b.log.Warn("cannot update Home Assistant over MQTT; trying again", "err", err, "retry_in", wait.String())
				retry = time.After(wait)
				continue
			}
			dirty, all, retry = false, false, nil
		}
	}
}

// syncRetry is how long the bridge waits after a failed sync before it tries again (or
// MaxRetryInterval, when shorter).
const syncRetry = 10 * time.Second

// drain empties events, which one republish covers, and tells whether any changed images.
func drain(events <-chan live.Event) (changed bool) {
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return changed
			}
			changed = changed || ev.Kind != live.KindCheck
		default:
			return changed
		}
	}
}

// connect makes the first connection, retrying with backoff; the client reconnects by itself
// afterwards.
func (b *Bridge) connect(ctx context.Context) {
	delay := time.Second
	for {
		tok := b.client.Connect()
		select {
		case <-tok.Done():
		case <-ctx.Done():
			return
		}
		err := tok.Error()
		if err == nil {
			return
		}
		if refusedCredentials(err) {
			b.log.Warn("cannot connect to the MQTT broker: the broker refused this user name or password (MQTT_URL); retrying", "err", err, "retry_in", delay.String())
		} else {
			b.log.Warn("cannot connect to the MQTT broker (check MQTT_URL); retrying", "err", err, "retry_in", delay.String())
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
		delay = min(delay*2, b.opts.MaxRetryInterval)
	}
}

// onConnect runs on every (re)connection, on the client's goroutine: subscribe, say online,
// and have Run publish everything.
func (b *Bridge) onConnect(c paho.Client) {
	b.log.Info("connected to the MQTT broker", "discovery_prefix", b.t.discovery, "topic_prefix", b.t.base)
	subs := map[string]byte{b.t.configFilter(): 1, b.t.birth: 1, b.t.status(): 1}
	for _, f := range b.t.retainedFilters() {
		subs[f] = 1
	}
	if !b.opts.Config.ReadOnly {
		for _, f := range b.t.commandFilters() {
			subs[f] = 1
		}
	}
	if tok := c.SubscribeMultiple(subs, b.receive); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.log.Warn("cannot subscribe to Home Assistant's commands on the MQTT broker", "err", tokenError(tok))
	}
	b.session.Add(1)
	b.online.Store(true)
	b.publishStatus(payloadOnline)
	signal(b.connected)
}

// receive is called on the client's goroutine for every message of a subscription: it only
// hands the message to Run, never blocking the client.
func (b *Bridge) receive(_ paho.Client, m paho.Message) {
	topic, payload := m.Topic(), string(m.Payload())
	switch {
	case topic == b.t.birth:
		// Home Assistant (re)started: it reads the retained configs, but sending them again
		// covers a broker that lost them. A retained birth is a replay of an old one.
		if payload == payloadOnline && !m.Retained() {
			b.mu.Lock()
			b.birth = true
			b.mu.Unlock()
			signal(b.wake)
		}
	case topic == b.t.status():
		// A retained offline replayed on subscribing is an earlier run's goodbye, which the
		// online that follows the subscription replaces.
		if payload == payloadOffline && !m.Retained() && b.online.Load() {
			b.mu.Lock()
			b.healStatus = true
			b.mu.Unlock()
			signal(b.wake)
		}
	default:
		if base, name, ok := b.t.parseCommand(topic); ok {
			if !b.opts.Config.ReadOnly {
				b.receiveCommand(command{base: base, name: name}, payload, m.Retained())
			}
			return
		}
		// A retained config, image state or host count replayed on subscribing, made by an
		// earlier run or another replica: the next sync keeps it if its image (or host)
		// still exists and clears it if not. Live ones (not replays) are other replicas'
		// business.
		if m.Retained() && payload != "" {
			b.mu.Lock()
			b.strays[topic] = true
			b.mu.Unlock()
			signal(b.wake)
		}
	}
}

// receiveCommand queues a command, on the client's goroutine: no database work, whatever
// arrives (see commands.go).
func (b *Bridge) receiveCommand(c command, payload string, retained bool) {
	topic := textutil.Truncate(c.topic(), maxLoggedTopic)
	if retained {
		// A command somebody published retained acted when it was sent (a broker forwards
		// it to subscribers as a live message); its replay on every later connection would
		// acknowledge digests nobody looked at.
		if ok, held := b.logLimit.allow("retained"); ok {
			b.log.Warn("ignored the replay of a retained command on the MQTT broker; clear it with an empty retained message", "topic", topic, "similar_not_logged", held)
		}
		return
	}
	// Only the payloads the discovery configs advertise act: anything else on a command
	// topic (a typo in an automation, a test message) changes nothing.
	if want := commandPayload(c.name); payload != want {
		if ok, held := b.logLimit.allow("payload"); ok {
			b.log.Warn("ignored a command on the MQTT broker whose payload is not the one advertised", "topic", topic,
				"payload", textutil.Truncate(payload, 40), "want", want, "similar_not_logged", held)
		}
		return
	}
	known := b.known.Load()
	if known == nil {
		known = &map[string]knownImage{}
	}
	if img, ok := (*known)[c.base]; ok {
		if img.state == c.target() {
			return // changes nothing, and costs nothing
		}
		b.queue.push(c)
	} else if !b.queue.pushUnknown(c, time.Now()) {
		if ok, held := b.logLimit.allow("unknown-full"); ok {
			b.log.Warn("too many commands on the MQTT broker for images the dashboard does not know; dropped", "topic", topic, "similar_not_logged", held)
		}
		return
	}
	signal(b.cmdReady)
}

// runCommands applies queued commands as far as the rate limit lets it, and reads the
// images again for commands whose image it does not know (at most every unknownRefresh). It
// returns when to look again (0: nothing waits).
func (b *Bridge) runCommands(ctx context.Context) (wait time.Duration) {
	if b.queue.hasUnknown() && b.online.Load() {
		if since := time.Since(b.lastRead); since < unknownRefresh {
			wait = unknownRefresh - since
		} else if err := b.sync(ctx, false); err != nil {
			b.log.Warn("cannot read the images for a Home Assistant command", "err", err)
			wait = unknownRefresh
		}
	}
	for {
		c, ok := b.queue.peek()
		if !ok {
			return wait
		}
		r := b.limiter.Reserve()
		if d := r.Delay(); d > 0 {
			r.Cancel()
			if wait == 0 || d < wait {
				wait = d
			}
			return wait
		}
		b.queue.pop()
		b.command(ctx, c)
	}
}

// commandPayload is the payload that the discovery config of a command advertises:
// payload_install of the update entity, payload_press of the Ignore button.
func commandPayload(name string) string {
	if name == ignoreLevel {
		return payloadIgnore
	}
	return payloadInstall
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// sync publishes what changed since the last sync (everything when all), clears what is
// gone, and clears the strays that belong to no image.
func (b *Bridge) sync(ctx context.Context, all bool) error {
	// The first sync of each connection publishes everything, the later ones what changed.
	session := b.session.Load()
	all = all || b.fullSession != session
	readAt := time.Now()
	want, images, err := b.desired(ctx)
	if err != nil {
		return err
	}
	b.lastRead = readAt
	b.known.Store(&images)
	if dropped := b.queue.resolve(images, readAt); dropped > 0 {
		b.log.Info("Home Assistant sent commands for images the dashboard does not have (deleted?); dropped", "commands", dropped)
	}
	b.mu.Lock()
	strays := b.strays
	b.strays = map[string]bool{}
	b.mu.Unlock()

	var out []message
	for topic, payload := range want {
		if old, ok := b.published[topic]; all || !ok || old != payload {
			out = append(out, message{topic, payload})
		}
	}
	for topic := range b.published {
		if _, ok := want[topic]; !ok {
			out = append(out, message{topic: topic}) // an empty retained payload removes it
		}
	}
	for topic := range strays {
		if _, ok := want[topic]; !ok {
			out = append(out, message{topic: topic})
		}
	}
	// Configs go first, in a fixed order: Home Assistant then drops an entity before its
	// state is cleared (an empty state of a live entity is an error in its log), and
	// subscribes to a new entity's state before it arrives.
	slices.SortFunc(out, func(x, y message) int {
		if cx, cy := b.t.isConfig(x.topic), b.t.isConfig(y.topic); cx != cy {
			if cx {
				return -1
			}
			return 1
		}
		return strings.Compare(x.topic, y.topic)
	})
	failed := b.publish(out)
	published := make(map[string]string, len(want))
	for topic, payload := range want {
		if !failed[topic] {
			published[topic] = payload
		}
	}
	// A removal that failed is remembered as published, so that the next sync tries again.
	for topic, payload := range b.published {
		if _, ok := want[topic]; !ok && failed[topic] {
			published[topic] = payload
		}
	}
	b.published, b.images = published, images
	if len(failed) > 0 {
		return errors.New("the broker did not confirm some publications")
	}
	if all {
		b.fullSession, b.lastFull = session, time.Now()
	}
	if len(out) > 0 {
		b.log.Debug("updated Home Assistant over MQTT", "messages", len(out))
	}
	return nil
}

// desired reads every image and builds the retained messages that describe them.
func (b *Bridge) desired(ctx context.Context) (map[string]string, map[string]knownImage, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.StoreTimeout)
	defer cancel()
	want := map[string]string{}
	add := func(m message) { want[m.topic] = m.payload }
	images := map[string]knownImage{}
	hosts := map[string]*counts{}
	var total counts
	seen := map[int64]bool{}
	// By image and host: new and deleted images do not move the others between pages.
	page := store.PageRequest{Limit: store.MaxPageSize}
	for {
		p, err := b.opts.Store.ListImages(ctx, store.ImageFilter{}, store.SortImage, page)
		if err != nil {
			return nil, nil, err
		}
		for _, img := range p.Images {
			seen[img.ID] = true
			acked, err := b.ackedDigest(ctx, img)
			if err != nil {
				return nil, nil, err
			}
			for _, m := range b.imageMessages(img, acked) {
				add(m)
			}
			images[b.t.imageBase(img.Hostname, img.Image)] = knownImage{id: img.ID, state: img.State}
			c := hosts[img.Hostname]
			if c == nil {
				c = &counts{}
				hosts[img.Hostname] = c
			}
			c.add(img.State)
			total.add(img.State)
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	for host, c := range hosts {
		b.build.host(host, *c, add)
	}
	b.build.total(total, add)
	for id := range b.acked {
		if !seen[id] {
			delete(b.acked, id)
		}
	}
	for id := range b.built {
		if !seen[id] {
			delete(b.built, id)
		}
	}
	return want, images, nil
}

// builtImage keeps the messages of one image for as long as what they show is unchanged:
// after a change, most images are as they were, and building their JSON again is most of a
// sync's work.
type builtImage struct {
	fingerprint string
	msgs        []message
}

// imageMessages are the retained messages of img.
func (b *Bridge) imageMessages(img store.Image, acked string) []message {
	fp := strings.Join([]string{img.Hostname, img.Image, img.Digest, string(img.State), img.Status, img.Platform, img.HubLink, acked}, "\x00")
	if c, ok := b.built[img.ID]; ok && c.fingerprint == fp {
		return c.msgs
	}
	var msgs []message
	b.build.image(img, acked, func(m message) { msgs = append(msgs, m) })
	b.built[img.ID] = builtImage{fingerprint: fp, msgs: msgs}
	return msgs
}

func (c *counts) add(s store.State) {
	switch s {
	case store.StateOpen:
		c.Open++
	case store.StateAcknowledged:
		c.Acknowledged++
	case store.StateSnoozed:
		c.Snoozed++
	case store.StateIgnored:
		c.Ignored++
	}
}

// ackedDigest is the digest an open image was last acknowledged at, from its audit trail
// ("" when it has none, or none that retention kept). Other states need none.
func (b *Bridge) ackedDigest(ctx context.Context, img store.Image) (string, error) {
	if img.State != store.StateOpen {
		return "", nil
	}
	if c, ok := b.acked[img.ID]; ok && c.changedAt.Equal(img.StateChangedAt) {
		return c.digest, nil
	}
	changes, err := b.opts.Store.ListStateChanges(ctx, img.ID, store.MaxPageSize)
	if err != nil {
		return "", err
	}
	digest := ""
	for _, c := range changes { // newest first
		if c.To == store.StateAcknowledged {
			digest = c.Digest
			break
		}
	}
	b.acked[img.ID] = ackedDigest{changedAt: img.StateChangedAt, digest: digest}
	return digest, nil
}

// publishQoS is the QoS of what the bridge publishes. 0 suffices: everything is sent again
// after each reconnection, so nothing lost with a connection needs keeping; and the client
// library then keeps no copy to resend on reconnecting, a path on which it races with itself
// (seen by the race detector in paho.mqtt.golang v1.5.1).
const publishQoS = 0

// publishBatch is how many publications are sent before waiting for them.
const publishBatch = 256

// publish sends msgs retained and returns the topics that could not be sent.
func (b *Bridge) publish(msgs []message) map[string]bool {
	failed := map[string]bool{}
	for start := 0; start < len(msgs); start += publishBatch {
		batch := msgs[start:min(start+publishBatch, len(msgs))]
		session := b.session.Load()
		toks := make([]paho.Token, len(batch))
		for i, m := range batch {
			toks[i] = b.client.Publish(m.topic, publishQoS, true, m.payload)
		}
		// One deadline for the batch, and none once the connection changed.
		deadline := time.Now().Add(10 * time.Second)
		for i, tok := range toks {
			if !b.confirmed(tok, session, deadline) {
				failed[batch[i].topic] = true
			}
		}
	}
	return failed
}

// confirmed waits for tok until deadline, or until the connection it was sent on is gone.
func (b *Bridge) confirmed(tok paho.Token, session int64, deadline time.Time) bool {
	for {
		if tok.WaitTimeout(50 * time.Millisecond) {
			return tok.Error() == nil
		}
		if b.session.Load() != session || time.Now().After(deadline) {
			return false
		}
	}
}

// publishStatus sets the availability topic. A broker that just restarted may take a while
// to confirm: the bridge then says so, and says again when the publication went through, so
// that the log does not end on a warning while Home Assistant shows the dashboard online.
func (b *Bridge) publishStatus(payload string) {
	tok := b.client.Publish(b.t.status(), publishQoS, true, payload)
	if tok.WaitTimeout(b.opts.StatusWait) {
		if err := tok.Error(); err != nil {
			b.log.Warn("cannot publish the availability topic", "payload", payload, "err", err)
		}
		return
	}
	b.log.Warn("the broker is slow to take the availability topic; still waiting", "payload", payload)
	go func() {
		if !tok.WaitTimeout(time.Minute) {
			b.log.Warn("cannot publish the availability topic: the broker did not answer within a minute; it is sent again on reconnecting", "payload", payload)
		} else if err := tok.Error(); err != nil {
			b.log.Warn("cannot publish the availability topic", "payload", payload, "err", err)
		} else {
			b.log.Info("published the availability topic after all", "payload", payload)
		}
	}()
}

// command applies Install (acknowledge) or Ignore to the image of c, on behalf of its topic.
func (b *Bridge) command(ctx context.Context, c command) {
	img, ok := b.images[c.base]
	if !ok {
		b.log.Info("Home Assistant sent a command for an image the dashboard does not have (deleted?)", "topic", textutil.Truncate(c.topic(), maxLoggedTopic))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.StoreTimeout)
	defer cancel()
	// Moving an image to the state it has already changes nothing, so a command that several
	// replicas (or a repeated delivery) handle acts once.
	moved, err := b.opts.Triage.SetStates(ctx, []int64{img.id}, store.Transition{State: c.target()}, ActorPrefix+c.topic())
	if err != nil {
		b.log.Warn("cannot apply a Home Assistant command", "topic", c.topic(), "image_id", img.id, "err", err)
		return
	}
	b.log.Info("applied a Home Assistant command", "topic", c.topic(), "image_id", img.id, "changed", len(moved))
}

// disconnect says goodbye: a clean disconnect does not fire the will, so the status goes
// offline first (another replica that is still connected sets it online again).
func (b *Bridge) disconnect() {
	if b.client.IsConnectionOpen() {
		b.online.Store(false)
		// QoS 1 here: the broker's acknowledgement says it has the status before the
		// connection closes.
		tok := b.client.Publish(b.t.status(), 1, true, payloadOffline)
		tok.WaitTimeout(2 * time.Second)
	}
	b.client.Disconnect(500)
}

// refusedCredentials tells a connection the broker refused for its user name or password
// (CONNACK 4 or 5) from a broker that is down or unreachable.
func refusedCredentials(err error) bool {
	return errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword) || errors.Is(err, packets.ErrorRefusedNotAuthorised)
}

func tokenError(tok paho.Token) error {
	if err := tok.Error(); err != nil {
		return err
	}
	return errors.New("the broker did not answer in time")
}
