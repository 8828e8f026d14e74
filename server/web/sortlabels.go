package web

import "diundashboard/server/store"

// sortOption is one choice of the overview's sort menu.
type sortOption struct {
	Value store.Sort
	Label string
}

// sortOptions names each sort for the order the rows are in, in the grouping shown (issue
// 11: "by host" said nothing of the order within a host, and still said it grouped by
// stack). The name orders compare the full reference, registry first, while a row shows
// Docker Hub's images without docker.io/ and library/: the label says so, and a row's full
// reference is in its title. Grouped by stack, the stacks come in the order of their names
// and the sort orders the rows within each.
func sortOptions(byStack bool) []sortOption {
	labels := map[store.Sort]string{
		store.SortHost:      "by host, then registry/name",
		store.SortImage:     "by registry/name",
		store.SortLastSeen:  "last seen first",
		store.SortFirstSeen: "first seen first",
	}
	if byStack {
		labels = map[store.Sort]string{
			store.SortHost:      "in each stack: by host, then registry/name",
			store.SortImage:     "in each stack: by registry/name",
			store.SortLastSeen:  "in each stack: last seen first",
			store.SortFirstSeen: "in each stack: first seen first",
		}
	}
	out := make([]sortOption, 0, len(store.Sorts))
	for _, s := range store.Sorts {
		out = append(out, sortOption{Value: s, Label: labels[s]})
	}
	return out
}
