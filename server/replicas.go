package server

import (
	"context"

	"diundashboard/server/live"
	"diundashboard/server/store"
)

// runLiveBridge carries live updates between the replicas that share the store's database,
// until ctx ends. A store that cannot (SQLite, owned by one process) needs nothing.
func (s *Server) runLiveBridge(ctx context.Context) {
	n, ok := s.store.(store.Notifier)
	if !ok {
		return
	}
	b := live.NewBridge(s.hub, n, s.log)
	s.log.Debug("relaying live updates to and from the other replicas", "channel", store.LiveChannel, "origin", b.Origin())
	b.Run(ctx)
}
