package main

import (
	"bytes"
	"strings"
	"testing"
)

// MQTT_URL is validated at start, and its password is never shown: not in --help, not in the
// error about a bad URL.
func TestMQTTSettings(t *testing.T) {
	parse := func(env map[string]string, args ...string) (config, string, error) {
		var out bytes.Buffer
		cfg, err := parseConfig("diundashboard serve", args, func(k string) string { return env[k] }, &out)
		return cfg, out.String(), err
	}
	cfg, _, err := parse(map[string]string{})
	if err != nil || cfg.mqtt != nil {
		t.Fatalf("without MQTT_URL: %+v, %v", cfg.mqtt, err)
	}
	cfg, _, err = parse(map[string]string{"MQTT_URL": "mqtts://ha:pass-word-42@broker.lan", "MQTT_TOPIC_PREFIX": "home/diun"})
	if err != nil || cfg.mqtt == nil || cfg.mqtt.Broker.Address != "broker.lan:8883" || cfg.mqtt.TopicPrefix != "home/diun" ||
		cfg.mqtt.DiscoveryPrefix != "homeassistant" {
		t.Fatalf("MQTT_URL set: %+v, %v", cfg.mqtt, err)
	}
	_, help, _ := parse(map[string]string{"MQTT_URL": "mqtt://ha:pass-word-42@broker.lan"}, "--help")
	if strings.Contains(help, "pass-word-42") || !strings.Contains(help, "mqtt://ha:***@broker.lan:1883") {
		t.Errorf("--help shows the MQTT password, or not the broker:\n%s", help)
	}
	_, help, _ = parse(map[string]string{"MQTT_URL": "http://ha:pass-word-42@broker.lan"}, "--help")
	if strings.Contains(help, "pass-word-42") {
		t.Errorf("--help shows the password of a bad MQTT_URL:\n%s", help)
	}
	for env, want := range map[string]string{
		"http://ha:pass-word-42@broker.lan": "MQTT_URL",
		"mqtt://ha:pass-word-42@":           "MQTT_URL",
	} {
		_, _, err := parse(map[string]string{"MQTT_URL": env})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "pass-word-42") {
			t.Errorf("MQTT_URL=%q: %v", env, err)
		}
	}
	if _, _, err := parse(map[string]string{"MQTT_URL": "mqtt://b", "MQTT_DISCOVERY_PREFIX": "ha/#"}); err == nil || !strings.Contains(err.Error(), "MQTT_DISCOVERY_PREFIX") {
		t.Errorf("a wildcard in the discovery prefix: %v", err)
	}
}

// MQTT_COMMANDS=off makes the entities read-only; MQTT_BIRTH_TOPIC stays
// homeassistant/status whatever the discovery prefix; bad values stop the start, named.
func TestMQTTCommandsAndBirthSettings(t *testing.T) {
	parse := func(env map[string]string) (config, error) {
		env["MQTT_URL"] = "mqtt://broker.lan"
		return parseConfig("diundashboard serve", nil, func(k string) string { return env[k] }, &bytes.Buffer{})
	}
	cfg, err := parse(map[string]string{"MQTT_DISCOVERY_PREFIX": "ha"})
	if err != nil || cfg.mqtt.ReadOnly || cfg.mqtt.BirthTopic != "homeassistant/status" {
		t.Fatalf("defaults: %+v, %v", cfg.mqtt, err)
	}
	cfg, err = parse(map[string]string{"MQTT_COMMANDS": "off", "MQTT_BIRTH_TOPIC": "hass/status"})
	if err != nil || !cfg.mqtt.ReadOnly || cfg.mqtt.BirthTopic != "hass/status" {
		t.Fatalf("MQTT_COMMANDS=off, MQTT_BIRTH_TOPIC=hass/status: %+v, %v", cfg.mqtt, err)
	}
	for env, want := range map[string]string{"MQTT_COMMANDS": "yes please", "MQTT_BIRTH_TOPIC": "homeassistant/+"} {
		if _, err := parse(map[string]string{env: want}); err == nil || !strings.Contains(err.Error(), env) {
			t.Errorf("%s=%q: %v", env, want, err)
		}
	}
}
