package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"diundashboard/server/store"
)

// The overview's address is the view: what it filters on, how it sorts, which page. It is
// kept clean, so that it reads well and bookmarks of one view are one address: no empty
// parameter (a form without a script sends every field), no default (state=open, the
// default sort and page size, the 30-day chart).

// viewDefaults are the values that the overview assumes when a parameter is absent.
var viewDefaults = map[string]string{
	"state": string(store.StateOpen),
	"sort":  string(uiSort),
	"limit": strconv.Itoa(uiPageSize),
	"days":  "30",
}

// cleanView is v without empty parameters and defaults, and whether anything was dropped.
// A parameter given twice keeps its first value, which is the one the overview reads.
func cleanView(v url.Values) (url.Values, bool) {
	out := url.Values{}
	dropped := false
	for k, vs := range v {
		if len(vs) > 1 {
			dropped = true
		}
		if len(vs) == 0 || vs[0] == "" || viewDefaults[k] == vs[0] {
			dropped = true
			continue
		}
		out.Set(k, vs[0])
	}
	return out, dropped
}

// viewAddress is the overview's address for v.
func viewAddress(v url.Values) string {
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// Paging. The store pages by keyset: a page's cursor is the position after the last row of
// the page before it, and there is no way back from a cursor. So the address keeps the way
// it came: "back" lists the cursors of the pages before this one (the first page has none),
// oldest first, separated by dots (a cursor is base64url: it has no dot). "Previous page"
// pops the last of them; "Next page" pushes the current one. The list also numbers the page,
// for "201–400 of 257". A live change can move rows between pages meanwhile; the numbers are
// those of the moment each page was fetched, which is all keyset paging can promise.

// maxBack bounds how many pages deep an address may go (a page has up to 500 rows).
const maxBack = 200

// pager is the overview's pager, shown above and below the rows.
type pager struct {
	// From and To number the rows shown (1-based); Total is how many the view has, or -1
	// when only the last page knows (the view filters on more than state and host).
	From, To, Total  int64
	PrevURL, NextURL string
	// FirstURL leads back to the first page from the third page on.
	FirstURL string
}

// backCursors reads the "back" parameter.
func backCursors(raw string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	back := strings.Split(raw, ".")
	if len(back) > maxBack {
		return nil, fmt.Errorf("this page is more than %d pages deep", maxBack)
	}
	for _, c := range back {
		if c == "" || len(c) > 1024 {
			return nil, fmt.Errorf("the way back to the previous pages is damaged")
		}
	}
	return back, nil
}

// newPager numbers the page that v asked for and links its neighbours. shown is how many rows
// it has, next the store's cursor after it, total the view's size (-1 when unknown).
func newPager(v url.Values, back []string, limit, shown int, next string, total int64) pager {
	cur := v.Get("cursor")
	depth := int64(0)
	if cur != "" {
		depth = int64(len(back)) + 1
	}
	p := pager{From: depth*int64(limit) + 1, Total: total}
	p.To = p.From + int64(shown) - 1
	if next == "" && p.Total < 0 {
		p.Total = p.To
	}
	base, _ := cleanView(v)
	for _, k := range []string{"notice", "ns", "undo"} {
		base.Del(k)
	}
	at := func(cursor string, back []string) string {
		u := cloneValues(base)
		u.Del("cursor")
		u.Del("back")
		if cursor != "" {
			u.Set("cursor", cursor)
			if len(back) > 0 {
				u.Set("back", strings.Join(back, "."))
			}
		}
		return viewAddress(u)
	}
	if next != "" {
		trail := back
		if cur != "" {
			trail = append(append([]string(nil), back...), cur)
		}
		p.NextURL = at(next, trail)
	}
	if cur != "" {
		if len(back) == 0 {
			p.PrevURL = at("", nil)
		} else {
			p.PrevURL = at(back[len(back)-1], back[:len(back)-1])
		}
		if len(back) > 0 {
			p.FirstURL = at("", nil)
		}
	}
	return p
}

// Label is the pager's range in words: "1–200 of 257".
func (p pager) Label() string {
	if p.To < p.From || p.To == 0 {
		return "No images"
	}
	s := fmt.Sprintf("%d–%d", p.From, p.To)
	if p.Total >= 0 {
		s += fmt.Sprintf(" of %d", p.Total)
	}
	return s
}
