package web

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"

	"diundashboard/internal/textutil"
)

// The overview groups its rows by host, or, with ?group=stack, by stack: the compose project,
// swarm stack or namespace of each image (rowContext.Group), so that the updates of one
// application read together across hosts.
//
// Grouped by stack, the groups have no "Acknowledge all" buttons: a host's buttons act on
// the images of one host in the view, on every page, and a stack group spans hosts and only
// knows the rows of this page. Ticking rows (the bulk bar) works the same in both groupings.

// groupings are the values of ?group; "" and "host" are the default.
var groupings = []string{"host", "stack"}

// parseGrouping reads ?group.
func parseGrouping(v url.Values) (byStack bool, err error) {
	switch g := v.Get("group"); g {
	case "", "host":
		return false, nil
	case "stack":
		return true, nil
	default:
		return false, fmt.Errorf("group %q is not one of %v", textutil.Truncate(g, 40), groupings)
	}
}

// groupByStack regroups the rows of a page by stack, in the order of the stack's names, the
// images without a stack last; within a group the rows keep the page's order. A compose or
// swarm stack and a Kubernetes or Nomad namespace of the same name are different things, so
// different groups. The rows of a group may come from several hosts: each says its host.
func groupByStack(hosts []hostGroup) []hostGroup {
	type key struct{ kind, name string }
	index := map[key]int{}
	var out []hostGroup
	for _, hg := range hosts {
		for _, row := range hg.Images {
			k := key{kind: "stack", name: row.Context.Group}
			if row.Context.Stack == "" && row.Context.Namespace != "" {
				k.kind = "namespace"
			}
			i, ok := index[k]
			if !ok {
				i = len(out)
				index[k] = i
				out = append(out, hostGroup{ByStack: true, Stack: k.name, StackKind: k.kind, Key: k.kind + "-" + url.QueryEscape(k.name)})
			}
			row.ShowHost = true
			out[i].Images = append(out[i].Images, row)
		}
	}
	slices.SortStableFunc(out, func(a, b hostGroup) int {
		switch {
		case a.Stack == b.Stack:
			return cmp.Compare(b.StackKind, a.StackKind) // the stack before the namespace
		case a.Stack == "":
			return 1
		case b.Stack == "":
			return -1
		}
		return cmp.Compare(a.Stack, b.Stack)
	})
	return out
}

// viewWithout is the overview's address for v without the parameter name, on its first page.
func viewWithout(v url.Values, name string) string {
	w := url.Values{}
	for k, vs := range v {
		if k != name && k != "cursor" && k != "back" && len(vs) > 0 && vs[0] != "" {
			w.Set(k, vs[0])
		}
	}
	if len(w) == 0 {
		return "/"
	}
	return "/?" + w.Encode()
}
