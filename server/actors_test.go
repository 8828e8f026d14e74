package server

import (
	"testing"

	"diundashboard/server/mqtt"
	"diundashboard/server/store"
)

// The actors that are not people are names no person may take (auth refuses them as user
// names), so that the audit trail tells them apart.
func TestSystemActorsAreReserved(t *testing.T) {
	for _, a := range []string{mqtt.ActorPrefix + "diundashboard/nas/nginx/install", "mqtt", store.ActorSnoozeEnded, store.ActorDiun, "token:ci"} {
		if !store.ReservedActor(a) {
			t.Errorf("the actor %q is not reserved: a person could be recorded as it", a)
		}
	}
	for _, a := range []string{"admin", "alice", "mqttuser", "snooze"} {
		if store.ReservedActor(a) {
			t.Errorf("the person %q is refused as a system actor", a)
		}
	}
}
