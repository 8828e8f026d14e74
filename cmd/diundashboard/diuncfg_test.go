package main

import (
	"strings"
	"testing"
	"time"
)

// DIUN_GRPC and DIUN_RECONCILE are read at start; a bad value stops it with a message naming it.
func TestDiunGRPCSettings(t *testing.T) {
	parse := func(env map[string]string) (config, string, error) {
		var out strings.Builder
		cfg, err := parseConfig("diundashboard serve", nil, func(k string) string { return env[k] }, &out)
		return cfg, out.String(), err
	}
	cfg, _, err := parse(map[string]string{"DIUN_GRPC": "nas=diun:42286,diun2:42286", "DIUN_RECONCILE": "1h"})
	if err != nil || len(cfg.diun) != 2 || cfg.diun[0].Host != "nas" || cfg.reconcileEvery != time.Hour {
		t.Fatalf("parsed %+v every %s, %v", cfg.diun, cfg.reconcileEvery, err)
	}
	// Days, as EVENT_RETENTION takes them.
	cfg, _, err = parse(map[string]string{"DIUN_GRPC": "diun:42286", "DIUN_RECONCILE": "1d"})
	if err != nil || cfg.reconcileEvery != 24*time.Hour {
		t.Fatalf("DIUN_RECONCILE=1d: every %s, %v", cfg.reconcileEvery, err)
	}
	cfg, _, err = parse(map[string]string{})
	if err != nil || len(cfg.diun) != 0 || cfg.reconcileEvery != 15*time.Minute {
		t.Fatalf("defaults: %+v every %s, %v", cfg.diun, cfg.reconcileEvery, err)
	}
	for env, val := range map[string]string{"DIUN_GRPC": "diun", "DIUN_RECONCILE": "often"} {
		if _, _, err := parse(map[string]string{env: val}); err == nil || !strings.Contains(err.Error(), env) {
			t.Errorf("%s=%q: %v, want an error naming it", env, val, err)
		}
	}
}
