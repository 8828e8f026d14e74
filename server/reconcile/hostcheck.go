package reconcile

import (
	"context"
	"fmt"

	"diundashboard/gen/diunpb"
	"diundashboard/server/store"
)

// checkHost looks for a hostname in DIUN_GRPC that this Diun's webhooks never carry (an
// outside tester's nas=diun-nas:42286, while Diun's webhooks said "diun-nas"): reconcile then
// reads Diun into a host no webhook fills, and never sees the rows its webhooks made. While no
// webhook has named host, the images Diun lists are looked for on the other hosts, at the same
// digests: a host that holds at least half of them is most likely this Diun's real hostname.
// Without such a host, the newest test notification is looked at (checkHostByTest). The
// warning is kept for the Connect page and logged once; "" clears it.
func (r *Reconciler) checkHost(ctx context.Context, in *instance, host string, list []*diunpb.ImageListResponse_Image) string {
	has, err := r.opts.Store.HostHasWebhook(ctx, host)
	if err != nil {
		r.log.Debug("cannot check the hostname of a Diun against its webhooks", "diun", in.target.Addr, "err", err)
		return ""
	}
	if has {
		return ""
	}
	want := make(map[string]string, len(list)) // image:tag → digest, as Diun holds it
	for _, img := range list {
		if m := img.GetLatest(); img.GetName() != "" && m != nil && m.GetDigest() != "" {
			tag := m.GetTag()
			if tag == "" {
				tag = "latest"
			}
			want[img.GetName()+":"+tag] = m.GetDigest()
		}
	}
	if len(want) == 0 {
		return ""
	}
	// Hosts that belong to a Diun of DIUN_GRPC are never another's real name.
	taken := map[string]bool{host: true}
	for _, other := range r.instances {
		if h := other.host(); h != "" {
			taken[h] = true
		}
	}
	matches := map[string]int{}
	page := store.PageRequest{Limit: store.MaxPageSize}
	for {
		p, err := r.opts.Store.ListImages(ctx, store.ImageFilter{}, store.SortImage, page)
		if err != nil {
			r.log.Debug("cannot check the hostname of a Diun against its webhooks", "diun", in.target.Addr, "err", err)
			return ""
		}
		for _, img := range p.Images {
			if !taken[img.Hostname] && want[img.Image] == img.Digest {
				matches[img.Hostname]++
			}
		}
		if p.NextCursor == "" {
			break
		}
		page.Cursor = p.NextCursor
	}
	best, n := "", 0
	for h, c := range matches {
		if c > n || c == n && h < best {
			best, n = h, c
		}
	}
	if n == 0 || 2*n < len(want) {
		return r.checkHostByTest(ctx, in, host, taken)
	}
	which := fmt.Sprintf("%d of the %d images it lists are", n, len(want))
	if len(want) == 1 {
		which = "the one image it lists is"
	}
	return fmt.Sprintf("DIUN_GRPC names the Diun at %s %q, but no webhook has come with that hostname, while %s on the host %q here, at the same digests: its webhooks most likely carry %q. "+
		"Write DIUN_GRPC=%s=%s (or the address alone: the hostname is then learned from a test notification) and restart, or make Diun's hostname %q; until then what it recovers goes to %q, not to the rows of its webhooks.",
		in.target.Addr, host, which, best, best, best, in.target.Addr, host, host)
}

// checkHostByTest is checkHost for a Diun none of whose images the dashboard has from a
// webhook (a new install: Diun notifies only on change), when the newest test notification
// (`diun notif test`) came from a hostname no Diun of DIUN_GRPC is given. Nothing ties a test
// notification to one Diun, so this warning says "if".
func (r *Reconciler) checkHostByTest(ctx context.Context, in *instance, host string, taken map[string]bool) string {
	checks, err := r.opts.Store.ListChecks(ctx, 1)
	if err != nil || len(checks) == 0 || checks[0].Hostname == "" || taken[checks[0].Hostname] {
		return ""
	}
	h := checks[0].Hostname
	return fmt.Sprintf("DIUN_GRPC names the Diun at %s %q, but no webhook has come with that hostname, and the last test notification came from %q. "+
		"If it came from this Diun, its webhooks carry %q: write DIUN_GRPC=%s=%s (or the address alone: the hostname is then learned from a test notification) and restart, or make Diun's hostname %q.",
		in.target.Addr, host, h, h, h, in.target.Addr, host)
}

// setWarning keeps w for the Connect page and logs it when it is new.
func (r *Reconciler) setWarning(in *instance, w string) {
	in.mu.Lock()
	changed := in.status.Warning != w
	in.status.Warning = w
	in.mu.Unlock()
	if changed && w != "" {
		r.log.Warn("the hostname DIUN_GRPC gives a Diun is not the one its webhooks carry", "diun", in.target.Addr, "hint", w)
	}
}
