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
// The warning is kept for the Connect page and logged once; "" clears it.
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
		return ""
	}
	return fmt.Sprintf("DIUN_GRPC names the Diun at %s %q, but no webhook has come with that hostname, while %d of the %d images it lists are on the host %q here, at the same digests: its webhooks most likely carry %q. "+
		"Write DIUN_GRPC=%s=%s (or the address alone: the hostname is then learned from a test notification) and restart, or make Diun's hostname %q; until then what it recovers goes to %q, not to the rows of its webhooks.",
		in.target.Addr, host, n, len(want), best, best, best, in.target.Addr, host, host)
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
