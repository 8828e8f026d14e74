package api

import (
	"net/http"

	"diundashboard/server/httpx"
	"diundashboard/server/store"
)

// Summary is small enough for a Homepage or Home Assistant widget.
type Summary struct {
	TotalOpen            int64            `json:"total_open"`
	Totals               map[string]int64 `json:"totals"`
	Hosts                []HostSummary    `json:"hosts"`
	LastNotification     *string          `json:"last_notification"`
	LastTestNotification *string          `json:"last_test_notification"`
}

// HostSummary are the counts of one host.
type HostSummary struct {
	Hostname     string `json:"hostname"`
	Open         int64  `json:"open"`
	Acknowledged int64  `json:"acknowledged"`
	Snoozed      int64  `json:"snoozed"`
	Ignored      int64  `json:"ignored"`
}

func (h *Handler) summary(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := httpx.StoreContext(r, h.timeout)
	defer cancel()
	sum, err := h.store.Summary(ctx)
	if err != nil {
		httpx.StoreError(w, r, h.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toSummary(sum))
}

func toSummary(sum store.Summary) Summary {
	hosts, totals := sum.ByHost()
	out := Summary{
		TotalOpen: totals.Open,
		Totals: map[string]int64{
			string(store.StateOpen): totals.Open, string(store.StateAcknowledged): totals.Acknowledged,
			string(store.StateSnoozed): totals.Snoozed, string(store.StateIgnored): totals.Ignored,
		},
		Hosts:                make([]HostSummary, len(hosts)),
		LastNotification:     httpx.TimeJSON(sum.LastNotification),
		LastTestNotification: httpx.TimeJSON(sum.LastCheck),
	}
	for i, c := range hosts {
		out.Hosts[i] = HostSummary{Hostname: c.Hostname, Open: c.Open, Acknowledged: c.Acknowledged, Snoozed: c.Snoozed, Ignored: c.Ignored}
	}
	return out
}
