package mqtt

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"diundashboard/server/store"
)

// mosquittoBinaries finds mosquitto and mosquitto_passwd (scripts/ensure-mosquitto.sh
// installs them; make test-all runs it).
func mosquittoBinaries(t *testing.T) (broker, passwd string) {
	var err error
	for _, dir := range []string{"", "/usr/sbin/"} {
		if broker, err = exec.LookPath(dir + "mosquitto"); err == nil {
			break
		}
	}
	if err == nil {
		passwd, err = exec.LookPath("mosquitto_passwd")
	}
	if err != nil {
		t.Skip("mosquitto is not installed: run scripts/ensure-mosquitto.sh (make test-all runs it) to test the README's ACL on a real broker")
	}
	return broker, passwd
}

// startMosquitto runs a real mosquitto on a free loopback port with the README's ACL and
// three users; it returns the broker's address.
func startMosquitto(t *testing.T, acl string, users map[string]string) string {
	broker, passwd := mosquittoBinaries(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	passwords := write("passwords", "")
	for user, password := range users {
		if out, err := exec.Command(passwd, "-b", passwords, user, password).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v: %s", err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	conf := write("mosquitto.conf", fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous false\npersistence false\n"+
		"password_file %s\nacl_file %s\n", port, passwords, write("acl", acl)))
	if os.Geteuid() == 0 {
		// As root, mosquitto would become the user mosquitto, who cannot read the test's files.
		conf = write("mosquitto.conf", readText(t, conf)+"user root\n")
	}
	var out syncBuffer
	cmd := exec.Command(broker, "-c", conf)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	eventually(t, func() string { return "mosquitto listening: " + out.String() }, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

func readText(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mqttClient connects to addr as user ("" for anonymous).
func mqttClient(addr, user, password string) (paho.Client, error) {
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(user + "-" + idHash(time.Now().String())[:6]).
		SetUsername(user).SetPassword(password).SetAutoReconnect(false))
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, fmt.Errorf("no answer")
	}
	return c, tok.Error()
}

// The README's mosquitto ACL, on a real mosquitto: the dashboard publishes and hears Home
// Assistant's commands; another user of the broker, and anonymous clients, cannot command.
func TestREADMEMosquittoACL(t *testing.T) {
	readme := readText(t, "../../docs/home-assistant.md")
	m := regexp.MustCompile("(?s)<!-- mosquitto-acl -->\n```\n(.*?)```").FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("docs/home-assistant.md has no block marked <!-- mosquitto-acl -->")
	}
	addr := startMosquitto(t, m[1], map[string]string{"diundashboard": "change-me", "homeassistant": "ha-secret", "guest": "guest-secret"})

	e := newEnv(t, storeFactories["sqlite"](t))
	nginx := e.record("h1", "docker.io/library/nginx:1.29-alpine", digestA)
	redis := e.record("h1", "docker.io/library/redis:7", digestB)
	e.startBridge("dd-acl", func(o *Options) {
		o.Config.Broker = Broker{Address: addr, Username: "diundashboard", Password: "change-me"}
	})

	if _, err := mqttClient(addr, "", ""); err == nil {
		t.Error("an anonymous client connected")
	}
	ha, err := mqttClient(addr, "homeassistant", "ha-secret")
	if err != nil {
		t.Fatal(err)
	}
	defer ha.Disconnect(100)
	configs := make(chan haConfig, 16)
	if tok := ha.Subscribe("homeassistant/+/diundashboard/+/config", 1, func(_ paho.Client, m paho.Message) {
		var c haConfig
		if jsonInto(string(m.Payload()), &c) {
			configs <- c
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	commandTopics := map[string]string{} // unique id prefix → command topic
	deadline := time.After(20 * time.Second)
	for len(commandTopics) < 4 {
		select {
		case c := <-configs:
			if c.CommandTopic != "" {
				commandTopics[c.UniqueID] = c.CommandTopic
			}
		case <-deadline:
			t.Fatalf("Home Assistant's user did not receive the dashboard's configs (have %v); mosquitto refused the dashboard's publications or Home Assistant's subscription:\n%s", commandTopics, e.logs)
		}
	}
	topic := func(prefix, suffix string) string {
		for id, tp := range commandTopics {
			if strings.HasPrefix(id, prefix) && strings.HasSuffix(tp, suffix) {
				return tp
			}
		}
		t.Fatalf("no command topic %s*%s in %v", prefix, suffix, commandTopics)
		return ""
	}

	// Another user of the broker: mosquitto drops its commands.
	guest, err := mqttClient(addr, "guest", "guest-secret")
	if err != nil {
		t.Fatal(err)
	}
	defer guest.Disconnect(100)
	for _, tp := range []string{topic("diundashboard_h1_nginx", "/ignore"), topic("diundashboard_h1_redis", "/install")} {
		guest.Publish(tp, 1, false, strings.TrimPrefix(tp[strings.LastIndexByte(tp, '/'):], "/")).WaitTimeout(5 * time.Second)
	}
	// Home Assistant's Install acts.
	if tok := ha.Publish(topic("diundashboard_h1_nginx", "/install"), 1, false, "install"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	eventually(t, func() string { return "Home Assistant's Install applied:\n" + e.logs.String() }, func() bool {
		return e.image(nginx).State == store.StateAcknowledged
	})
	settle()
	if s := e.image(redis).State; s != store.StateOpen {
		t.Errorf("a user the ACL does not list made redis %s", s)
	}
	changes, err := e.st.ListStateChanges(t.Context(), nginx, 10)
	if err != nil || len(changes) != 1 {
		t.Errorf("nginx's audit trail: %+v, %v (the guest's Ignore must not be there)", changes, err)
	}
	if strings.Contains(e.logs.String(), "cannot subscribe") || strings.Contains(e.logs.String(), "cannot publish") {
		t.Errorf("the ACL refused the dashboard something:\n%s", e.logs)
	}
}
