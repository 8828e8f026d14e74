package web

import (
	"fmt"
	"time"

	"diundashboard/server/reconcile"
)

// diunView is the Connect page's list of the Diuns of DIUN_GRPC (connect_diun.html).
type diunView struct {
	Instances []reconcile.Status
	// Every is DIUN_RECONCILE, "" when off.
	Every string
}

func (h *Handler) diunView() diunView {
	if h.opts.Diun == nil {
		return diunView{}
	}
	v := diunView{Instances: h.opts.Diun()}
	if d := h.opts.DiunEvery; d > 0 {
		v.Every = d.String()
		if d%(24*time.Hour) == 0 {
			v.Every = fmt.Sprintf("%dd", d/(24*time.Hour)) // as DIUN_RECONCILE=1d was written
		}
	}
	return v
}
