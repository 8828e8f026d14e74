package mqtt

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// testBroker is a real MQTT broker (mochi-mqtt, embedded) on a loopback port.
type testBroker struct {
	t    testing.TB
	srv  *mochi.Server
	addr string
	once sync.Once
}

// brokerOptions choose the broker's address ("" picks a free port), its one user (anyone
// may connect when user is ""), and TLS.
type brokerOptions struct {
	addr, user, password string
	tls                  *tls.Config
}

func startBroker(t testing.TB, o brokerOptions) *testBroker {
	t.Helper()
	srv := mochi.New(&mochi.Options{InlineClient: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var err error
	if o.user == "" {
		err = srv.AddHook(new(auth.AllowHook), nil)
	} else {
		err = srv.AddHook(new(auth.Hook), &auth.Options{Ledger: &auth.Ledger{
			Auth: auth.AuthRules{{Username: auth.RString(o.user), Password: auth.RString(o.password), Allow: true}},
			ACL:  auth.ACLRules{{Filters: auth.Filters{"#": auth.ReadWrite}}},
		}})
	}
	if err != nil {
		t.Fatal(err)
	}
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: o.addr, TLSConfig: o.tls})
	// The port of a broker that just stopped may take a moment to be free again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = srv.AddListener(tcp)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	b := &testBroker{t: t, srv: srv, addr: tcp.Address()}
	t.Cleanup(b.stop)
	return b
}

func (b *testBroker) stop() { b.once.Do(func() { _ = b.srv.Close() }) }

// retained is the broker's retained payload of topic, and whether it holds one.
func (b *testBroker) retained(topic string) (string, bool) {
	msgs := b.srv.Topics.Messages(topic)
	if len(msgs) == 0 {
		return "", false
	}
	return string(msgs[0].Payload), true
}

// retainedUnder lists the retained topics that filter matches.
func (b *testBroker) retainedUnder(filter string) map[string]string {
	out := map[string]string{}
	for _, m := range b.srv.Topics.Messages(filter) {
		out[m.TopicName] = string(m.Payload)
	}
	return out
}

// client connects a plain MQTT client, as Home Assistant would.
func (b *testBroker) client(id string) paho.Client {
	b.t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.addr).SetClientID(id))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.t.Fatalf("test client cannot connect: %v", tok.Error())
	}
	b.t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// publish sends one message from client c and waits for the broker.
func publish(t *testing.T, c paho.Client, topic, payload string, retained bool) {
	t.Helper()
	if tok := c.Publish(topic, 1, retained, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// eventually polls cond until it holds, failing with what() after a generous time: the
// bridge works asynchronously, and only a broken one takes that long.
func eventually(t testing.TB, what func() string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tcpProxy relays connections to a broker over loopback; cut breaks them all and refuses new
// ones, as a network outage would (the broker then sees the connection fail and publishes
// the client's will), and restore lets connections through again.
type tcpProxy struct {
	t      testing.TB
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func startProxy(t testing.TB, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) listen(addr string) {
	var ln net.Listener
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for ln, err = net.Listen("tcp", addr); err != nil && time.Now().Before(deadline); ln, err = net.Listen("tcp", addr) {
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *tcpProxy) restore() { p.listen(p.addr) }
