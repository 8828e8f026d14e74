package mqtt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"diundashboard/server/store"
)

// Two dashboards on one broker (replicas of one database): an Install handled by both moves
// the image once in effect, and when one stops, the other keeps the entities available.
func TestBridgeReplicas(t *testing.T) { forEachStore(t, testBridgeReplicas) }

func testBridgeReplicas(t *testing.T, st store.Store) {
	ctx := context.Background()
	e := newEnv(t, st)
	id := e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	stopA := e.startBridge("dd-a")
	e.startBridge("dd-b")
	_, cfg := e.configOf("update", "diundashboard_h1_nginx")
	// Wait until both listen for Home Assistant's commands.
	eventually(t, func() string { return "both replicas subscribed to the commands" }, func() bool {
		subs := e.broker.srv.Topics.Subscribers(cfg.CommandTopic).Subscriptions
		_, a := subs["dd-a"]
		_, b := subs["dd-b"]
		return a && b
	})

	publish(t, e.broker.client("ha"), cfg.CommandTopic, "install", false)
	eventually(t, func() string { return "acknowledged" }, func() bool { return e.image(id).State == store.StateAcknowledged })
	// Both replicas receive the command; whichever comes second finds nothing to move, or,
	// when it already saw the image acknowledged, skips it without a database write. (On
	// PostgreSQL two transactions at the same moment may both write an audit row; the
	// image is acknowledged once in effect.)
	eventually(t, func() string { return "a replica handled the command" }, func() bool {
		return strings.Count(e.logs.String(), "applied a Home Assistant command") >= 1
	})
	settle()
	changes, err := st.ListStateChanges(ctx, id, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) == 0 {
		t.Fatal("no audit row")
	}
	for _, c := range changes {
		if c.Actor != ActorPrefix+cfg.CommandTopic || c.From != store.StateOpen || c.To != store.StateAcknowledged || c.Digest != digestA {
			t.Errorf("audit row %+v", c)
		}
	}
	if st.Dialect() == store.DialectSQLite && len(changes) != 1 {
		t.Errorf("SQLite serialises the two: want one audit row, have %d", len(changes))
	}

	// A stops cleanly and says offline; B, still connected, says online again. (The broker
	// may hand the two to a third subscriber in either order: the retained status is what
	// counts.)
	seen := e.watch("diundashboard/status")
	stopA()
	eventually(t, func() string { return fmt.Sprintf("A's offline; saw %q", seen()) }, func() bool {
		return slices.Contains(seen(), "offline")
	})
	eventually(t, func() string {
		return fmt.Sprintf("the retained status online again while B runs; saw %q; log:\n%s", seen(), e.logs)
	}, func() bool {
		p, _ := e.broker.retained("diundashboard/status")
		return p == "online"
	})
}

// mqtts:// with a password: the bridge verifies the broker's certificate and logs in; a
// wrong password is reported without being shown.
func TestBridgeTLSAndPassword(t *testing.T) {
	st := storeFactories["sqlite"](t)
	cert, roots := selfSigned(t)
	e := newEnv(t, st)
	e.broker.stop()
	e.broker = startBroker(t, brokerOptions{user: "dash", password: "right-horse-battery", tls: &tls.Config{Certificates: []tls.Certificate{cert}}})
	e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	withURL := func(raw string) func(*Options) {
		return func(o *Options) {
			cfg, _, err := ParseConfig(Settings{URL: raw})
			if err != nil {
				t.Fatal(err)
			}
			o.Config = cfg
			o.TLS = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		}
	}

	stop := e.startBridge("dd-wrong", withURL("mqtts://dash:wrong-staple-pony@"+e.broker.addr))
	eventually(t, func() string { return "a log line about the refused connection: " + e.logs.String() }, func() bool {
		return strings.Contains(e.logs.String(), "cannot connect to the MQTT broker")
	})
	stop()
	if !strings.Contains(e.logs.String(), "the broker refused this user name or password (MQTT_URL)") {
		t.Errorf("the log does not say the credentials were refused:\n%s", e.logs)
	}
	if !regexp.MustCompile(`msg="Home Assistant over MQTT is on; connecting to the broker" broker=mqtts://dash:\*\*\*@127\.0\.0\.1:\d+ discovery_prefix=homeassistant topic_prefix=diundashboard`).MatchString(e.logs.String()) {
		t.Errorf("no start-up line names the broker and the prefixes:\n%s", e.logs)
	}
	if strings.Contains(e.logs.String(), "wrong-staple-pony") {
		t.Errorf("the log shows the password:\n%s", e.logs)
	}
	if !strings.Contains(e.logs.String(), "mqtts://dash:***@127.0.0.1") {
		t.Errorf("the log does not name the broker (password masked):\n%s", e.logs)
	}

	e.startBridge("dd-right", withURL("mqtts://dash:right-horse-battery@"+e.broker.addr))
	e.configOf("update", "diundashboard_h1_nginx")
	if strings.Contains(e.logs.String(), "right-horse-battery") {
		t.Errorf("the log shows the password:\n%s", e.logs)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and the pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// failingStore is the real store with a switch that makes its listing fail, as a database
// that stopped answering would.
type failingStore struct {
	Source
	failing atomic.Bool
}

func (f *failingStore) ListImages(ctx context.Context, fl store.ImageFilter, s store.Sort, p store.PageRequest) (store.ImagePage, error) {
	if f.failing.Load() {
		return store.ImagePage{}, errors.New("database is down (injected by the test)")
	}
	return f.Source.ListImages(ctx, fl, s, p)
}

// When the database fails, the bridge tries again by itself: Home Assistant catches up
// without waiting for another change.
func TestBridgeRetriesAfterAStoreFailure(t *testing.T) {
	st := storeFactories["sqlite"](t)
	e := newEnv(t, st)
	e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	fs := &failingStore{Source: st}
	fs.failing.Store(true)
	e.startBridge("dd-retry", func(o *Options) { o.Store = fs })
	eventually(t, func() string { return "a log line about the failure" }, func() bool {
		return strings.Contains(e.logs.String(), "cannot update Home Assistant over MQTT")
	})
	if _, ok := e.broker.retained("diundashboard/summary"); ok {
		t.Fatal("published although the store failed")
	}
	fs.failing.Store(false)
	e.configOf("update", "diundashboard_h1_nginx")
}
