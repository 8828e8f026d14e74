package notify

import (
	"context"
	"encoding/json"
	"fmt"

	"diundashboard/server/store"
)

// encodeContent writes what a row is about (content always encodes: plain data).
func encodeContent(c content) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// render composes row for target t as it goes: in the markup of t's service (Diun's fields
// escaped), within t's own limit, and, for new updates, with only the images still open now:
// one acknowledged while the message waited for a retry is left out. An empty body means
// nothing is left to say. A row without content (a test message, or one written before rows
// had it) goes as it was written, every word of it escaped as untrusted text.
func (s *Service) render(ctx context.Context, row store.OutboxRow, t Target) (title, body string, err error) {
	f := flavourOf(t.URL)
	if row.Content == "" {
		return row.Title, untrustedLines(f, row.Body), nil
	}
	var c content
	if err := json.Unmarshal([]byte(row.Content), &c); err != nil {
		return "", "", fmt.Errorf("the outbox row %d holds content that does not decode: %w", row.ID, err)
	}
	now := s.opts.Now()
	var msg *store.OutboxMessage
	switch {
	case c.Digest != nil:
		msg = composeDigest(*c.Digest, now, s.opts.BaseURL, t.Limit(), f)
	default:
		ids := make([]int64, len(c.Items))
		for i, it := range c.Items {
			ids[i] = it.ImageID
		}
		states, err := s.st.ImageStates(ctx, ids)
		if err != nil {
			return "", "", err
		}
		open := c.Items[:0]
		for _, it := range c.Items {
			if states[it.ImageID] == store.StateOpen {
				open = append(open, it)
			}
		}
		msg = composeNew(open, now, s.opts.BaseURL, t.Limit(), f)
	}
	if msg == nil {
		return "", "", nil
	}
	return msg.Title, msg.Body, nil
}

// untrustedLines escapes text line by line, keeping its line breaks.
func untrustedLines(f flavour, text string) string {
	var out []byte
	start := 0
	for i := 0; i <= len(text); i++ {
		if i == len(text) || text[i] == '\n' {
			out = append(out, untrusted(f, text[start:i])...)
			if i < len(text) {
				out = append(out, '\n')
			}
			start = i + 1
		}
	}
	return string(out)
}
