package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"diundashboard/gen/diunpb"
	"diundashboard/server/store"
)

// hostOf is the hostname of in's webhooks: from DIUN_GRPC, from an earlier start (kept in the
// settings, so that a restart sends no test notification to every notifier Diun has), or
// learned now with NotifTest.
func (r *Reconciler) hostOf(ctx context.Context, in *instance) (host string, learned bool, err error) {
	if h := in.host(); h != "" {
		return h, false, nil
	}
	key := "diun_grpc_host " + in.target.Addr
	if h, err := r.opts.Store.Setting(ctx, key); err == nil && h != "" {
		return h, true, nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", false, err
	}
	h, err := r.learn(ctx, in)
	if err != nil {
		return "", false, err
	}
	if err := r.opts.Store.PutSetting(ctx, key, h); err != nil {
		return "", false, err
	}
	r.log.Info("learned the hostname of a Diun from its test notification", "diun", in.target.Addr, "hostname", h)
	return h, true, nil
}

// learn asks Diun to send its test notification and waits for it to arrive at the webhook:
// its hostname is the one this Diun's webhooks carry, and its arrival proves the webhook path.
func (r *Reconciler) learn(ctx context.Context, in *instance) (string, error) {
	r.learnMu.Lock()
	defer r.learnMu.Unlock()
	// NotifTest sends a test message to every notifier of the user: once per start, never
	// again with each retry. A second try would fail the same way until someone fixes the
	// webhook, and a restart (or host= in DIUN_GRPC) follows that fix.
	in.mu.Lock()
	failed := in.learnErr
	in.mu.Unlock()
	if failed != nil {
		return "", fmt.Errorf("%w (no other test notification is sent until the dashboard restarts)", failed)
	}
	h, err := r.notifTest(ctx, in)
	if err != nil && status.Code(err) != codes.Unavailable && ctx.Err() == nil {
		// Unavailable: the request never reached Diun, so nothing was sent; try again later.
		in.mu.Lock()
		in.learnErr = err
		in.mu.Unlock()
	}
	return h, err
}

// notifTest calls NotifTest once and waits for its notification.
func (r *Reconciler) notifTest(ctx context.Context, in *instance) (string, error) {
	var after int64
	if checks, err := r.opts.Store.ListChecks(ctx, 1); err != nil {
		return "", err
	} else if len(checks) > 0 {
		after = checks[0].ID
	}
	callCtx, cancel := context.WithTimeout(ctx, r.opts.CallTimeout)
	_, err := in.notif.NotifTest(callCtx, &diunpb.NotifTestRequest{})
	cancel()
	if err != nil {
		return "", fmt.Errorf("NotifTest (to learn its hostname; or give it in DIUN_GRPC as host=%s): %w", in.target.Addr, err)
	}
	deadline := time.Now().Add(r.opts.LearnTimeout)
	for time.Now().Before(deadline) {
		checks, err := r.opts.Store.ListChecks(ctx, 5)
		if err != nil {
			return "", err
		}
		// The oldest check newer than the one before the call.
		for i := len(checks) - 1; i >= 0; i-- {
			if checks[i].ID > after && checks[i].Hostname != "" {
				return checks[i].Hostname, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("the Diun at %s sent its test notification, but none reached the webhook within %s: check Diun's notif.webhook endpoint and token (see the Connect page), or give its hostname in DIUN_GRPC as host=%s", in.target.Addr, r.opts.LearnTimeout, in.target.Addr)
}
