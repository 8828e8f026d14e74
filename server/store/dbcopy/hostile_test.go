package dbcopy_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"diundashboard/server/store"
	"diundashboard/server/store/dbcopy"
)

// A crafted backup restored rows the webhook would refuse: control characters that forge lines
// in messages, 500 KB of metadata on every page, and ids at the top of int64 that made every
// later insert fail (an outside review, L1). The file here has a correct trailer: the rows
// themselves are refused, named, and nothing is imported.
func TestImportRefusesRowsTheDashboardNeverWrites(t *testing.T) {
	ctx := context.Background()
	huge := `{"a":"` + strings.Repeat("x", 500<<10) + `"}`
	for name, c := range map[string]struct {
		tamper string
		args   []any
		want   string
	}{
		"hostname with a line break":  {`UPDATE images SET hostname = 'vm' || char(10) || 'FAKE: all up to date' WHERE id = 1`, nil, "hostname contains the control character U+000A"},
		"image with a line separator": {`UPDATE images SET image = 'docker.io/a' || char(8232) || 'b:1' WHERE id = 2`, nil, "image contains the control character U+2028"},
		"500 KB of metadata":          {`UPDATE events SET metadata = ? WHERE id = 1`, []any{huge}, "metadata"},
		"the largest id":              {`UPDATE tags SET id = 9223372036854775807 WHERE name = 'lone'`, nil, "id 9223372036854775807 is not between 1 and"},
		"a tag with ESC":              {`UPDATE tags SET name = 'a' || char(27) || '[31mb' WHERE name = 'lone'`, nil, "not a tag name"},
		"an actor with an RLO":        {`UPDATE state_changes SET actor = 'token:' || char(8238) || 'x' WHERE id = 1`, nil, "actor contains the control character U+202E"},
		"metadata that is no object":  {`UPDATE images SET metadata = '[1,2]' WHERE id = 1`, nil, "metadata is not an object of strings"},
		// The overview's marks read them (images.digest_changed_at, opened_by).
		"a digest older than the image": {`UPDATE images SET digest_changed_at = '2000-01-01 00:00:00+00:00' WHERE id = 1`, nil, "digest_changed_at 2000-01-01T00:00:00Z is not between first_seen"},
		"opened by someone unknown":     {`PRAGMA ignore_check_constraints = ON; UPDATE images SET opened_by = 'mallory' WHERE id = 1; PRAGMA ignore_check_constraints = OFF`, nil, `opened_by "mallory" is not one of`},
		// A message is re-composed from its content when it is sent: a crafted outbox row must
		// be what the dashboard writes.
		"an outbox row that is no JSON": {`INSERT INTO notify_outbox (kind, target, target_label, title, body, created_at, next_attempt_at, content)
			VALUES ('new', 't', 'ntfy://ntfy.sh/x', 'title', 'body', '2026-12-01 00:00:00', '2026-12-01 00:00:00', '{"images": [')`, nil, "content is not the JSON"},
		"an outbox title on two lines": {`INSERT INTO notify_outbox (kind, target, target_label, title, body, created_at, next_attempt_at)
			VALUES ('new', 't', 'ntfy://ntfy.sh/x', 'a' || char(10) || 'b', 'body', '2026-12-01 00:00:00', '2026-12-01 00:00:00')`, nil, "title contains the control character U+000A"},
	} {
		t.Run(name, func(t *testing.T) {
			from, to := newSQLite(t), newSQLite(t)
			seed(t, from, 0)
			if _, err := from.st.CreateTag(ctx, "lone"); err != nil {
				t.Fatal(err)
			}
			if _, err := from.raw.Exec(c.tamper, c.args...); err != nil {
				t.Fatalf("tampering: %v", err)
			}
			var export bytes.Buffer
			if _, err := dbcopy.Export(ctx, from.copier(t), &export, dbcopy.Options{}); err != nil {
				t.Fatal(err)
			}
			_, err := dbcopy.Import(ctx, to.copier(t), bytes.NewReader(export.Bytes()), dbcopy.Options{})
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing was imported") {
				t.Fatalf("Import: %v; want ErrInvalid saying %q and that nothing was imported", err, c.want)
			}
			for _, table := range store.CopyTables {
				if n, err := to.copier(t).CountRows(ctx, table); err != nil || n != 0 {
					t.Errorf("the refused import left %d rows in %s (%v)", n, table, err)
				}
			}
		})
	}
}

// A backup holds no credential unless asked (L6: it held the webhook token in clear), and an
// import restores none unless asked (L1: a crafted backup restored a working write token).
// The webhook token's hash is kept, so that Diun goes on sending after a restore.
func TestCredentialsTravelOnlyWhenAsked(t *testing.T) {
	ctx := context.Background()
	from := newSQLite(t)
	seed(t, from, 0)
	for _, kv := range [][2]string{{"webhook_token_sha256", strings.Repeat("ab", 32)}, {"admin_password_hash", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}} {
		if err := from.st.PutSetting(ctx, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	export := func(opts dbcopy.Options) string {
		var b bytes.Buffer
		if _, err := dbcopy.Export(ctx, from.copier(t), &b, opts); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	plain := export(dbcopy.Options{})
	for _, secret := range []string{`{"table":"sessions","id_hash"`, `{"table":"api_tokens","id"`, `"key":"webhook_token",`, "secret-token", `"key":"admin_password_hash"`} {
		if strings.Contains(plain, secret) {
			t.Errorf("the export without --with-credentials holds %s", secret)
		}
	}
	if !strings.Contains(plain, `"key":"webhook_token_sha256"`) {
		t.Error("the export left out the webhook token's hash, which Diun needs after a restore")
	}
	to := newSQLite(t)
	if _, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(plain), dbcopy.Options{}); err != nil {
		t.Fatalf("importing an export without credentials: %v", err)
	}
	if toks, err := to.st.ListAPITokens(ctx); err != nil || len(toks) != 0 {
		t.Errorf("restored %d API tokens (%v)", len(toks), err)
	}

	full := export(dbcopy.Options{WithCredentials: true})
	if !strings.Contains(full, `{"table":"api_tokens","id"`) || !strings.Contains(full, "secret-token") {
		t.Fatal("export --with-credentials left the credentials out")
	}
	to = newSQLite(t)
	_, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(full), dbcopy.Options{})
	if !errors.Is(err, dbcopy.ErrCredentials) || !strings.Contains(err.Error(), "--with-credentials") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("importing credentials without --with-credentials: %v; want ErrCredentials naming the flag", err)
	}
	if n, err := to.copier(t).CountRows(ctx, "images"); err != nil || n != 0 {
		t.Errorf("the refused import left %d images (%v)", n, err)
	}
	if _, err := dbcopy.Import(ctx, to.copier(t), strings.NewReader(full), dbcopy.Options{WithCredentials: true}); err != nil {
		t.Fatalf("import --with-credentials: %v", err)
	}
	sameData(t, from, to)
}
