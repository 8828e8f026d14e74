package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"diundashboard/server/store"
)

// authTests cover sessions and API tokens.
func authTests() []test {
	return []test{
		{"SessionRoundTrip", testSessionRoundTrip},
		{"SessionTouchAndDelete", testSessionTouchAndDelete},
		{"SessionDuplicateID", testSessionDuplicateID},
		{"DeleteExpiredSessions", testDeleteExpiredSessions},
		{"DeleteAllSessions", testDeleteAllSessions},
		{"APITokenLifecycle", testAPITokenLifecycle},
		{"APITokenValidation", testAPITokenValidation},
	}
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func newSession(id string, created, expires time.Time) store.Session {
	return store.Session{IDHash: hashOf(id), Username: "admin", Credential: hashOf("credential of " + id), CreatedAt: created, LastSeenAt: created, ExpiresAt: expires}
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	want := newSession("one", at(0), at(7*24*time.Hour))
	if err := s.CreateSession(ctx(t), want); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	got, err := s.GetSession(ctx(t), want.IDHash)
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	if got.IDHash != want.IDHash || got.Username != want.Username || got.Credential != want.Credential || !got.CreatedAt.Equal(want.CreatedAt) ||
		!got.LastSeenAt.Equal(want.LastSeenAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("GetSession = %+v, want %+v", got, want)
	}
	_, err = s.GetSession(ctx(t), hashOf("other"))
	wantErr(t, "GetSession of an unknown id", err, store.ErrNotFound)

	// An expired session is still returned: expiry is the caller's decision.
	old := newSession("old", at(-48*time.Hour), at(-time.Hour))
	if err := s.CreateSession(ctx(t), old); err != nil {
		t.Fatalf("CreateSession(expired): %v", err)
	}
	if got, err := s.GetSession(ctx(t), old.IDHash); err != nil || !got.ExpiresAt.Equal(old.ExpiresAt) {
		t.Errorf("GetSession(expired) = %+v, %v; want it returned with its expiry", got, err)
	}
	err = s.CreateSession(ctx(t), store.Session{Username: "admin", CreatedAt: at(0), LastSeenAt: at(0), ExpiresAt: at(time.Hour)})
	wantErr(t, "CreateSession without an id hash", err, store.ErrInvalid)
}

func testSessionTouchAndDelete(t *testing.T, s store.Store) {
	sess := newSession("touch", at(0), at(time.Hour))
	if err := s.CreateSession(ctx(t), sess); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx(t), sess.IDHash, at(30*time.Minute), at(2*time.Hour)); err != nil {
		t.Fatalf("TouchSession: %v", err)
	}
	got, err := s.GetSession(ctx(t), sess.IDHash)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastSeenAt.Equal(at(30*time.Minute)) || !got.ExpiresAt.Equal(at(2*time.Hour)) || !got.CreatedAt.Equal(at(0)) {
		t.Errorf("after TouchSession: %+v; want last seen +30m, expiry +2h, creation unchanged", got)
	}
	wantErr(t, "TouchSession of an unknown id", s.TouchSession(ctx(t), hashOf("nobody"), at(0), at(time.Hour)), store.ErrNotFound)

	if err := s.DeleteSession(ctx(t), sess.IDHash); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	_, err = s.GetSession(ctx(t), sess.IDHash)
	wantErr(t, "GetSession after DeleteSession", err, store.ErrNotFound)
	if err := s.DeleteSession(ctx(t), sess.IDHash); err != nil {
		t.Errorf("DeleteSession twice: %v; want no error", err)
	}
}

func testSessionDuplicateID(t *testing.T, s store.Store) {
	sess := newSession("dup", at(0), at(time.Hour))
	if err := s.CreateSession(ctx(t), sess); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateSession with a taken id", s.CreateSession(ctx(t), sess), store.ErrConflict)
}

func testDeleteExpiredSessions(t *testing.T, s store.Store) {
	for i, exp := range []time.Duration{-2 * time.Hour, -time.Minute, 0, time.Hour, 48 * time.Hour} {
		if err := s.CreateSession(ctx(t), newSession(fmt.Sprint("s", i), at(-72*time.Hour), at(exp))); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpiredSessions(ctx(t), at(0))
	if err != nil {
		t.Fatalf("DeleteExpiredSessions: %v", err)
	}
	if n != 3 {
		t.Errorf("DeleteExpiredSessions removed %d, want 3 (expiry at or before now)", n)
	}
	for i, alive := range []bool{false, false, false, true, true} {
		_, err := s.GetSession(ctx(t), hashOf(fmt.Sprint("s", i)))
		if alive && err != nil {
			t.Errorf("session s%d: %v; want it kept", i, err)
		}
		if !alive && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session s%d: %v; want it deleted", i, err)
		}
	}
}

func testDeleteAllSessions(t *testing.T, s store.Store) {
	for i := range 3 {
		if err := s.CreateSession(ctx(t), newSession(fmt.Sprint("all", i), at(0), at(time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteAllSessions(ctx(t))
	if err != nil || n != 3 {
		t.Fatalf("DeleteAllSessions = %d, %v; want 3", n, err)
	}
	for i := range 3 {
		_, err := s.GetSession(ctx(t), hashOf(fmt.Sprint("all", i)))
		wantErr(t, fmt.Sprintf("GetSession(all%d) after DeleteAllSessions", i), err, store.ErrNotFound)
	}
	if n, err := s.DeleteAllSessions(ctx(t)); err != nil || n != 0 {
		t.Errorf("DeleteAllSessions with none left = %d, %v; want 0", n, err)
	}
}

func testAPITokenLifecycle(t *testing.T, s store.Store) {
	a, err := s.CreateAPIToken(ctx(t), "  homepage widget ", hashOf("tok-a"), "dd_abcd", store.ScopeRead)
	if err != nil {
		t.Fatalf("CreateAPIToken: %v", err)
	}
	if a.ID <= 0 || a.Name != "homepage widget" || a.TokenHash != hashOf("tok-a") || a.Prefix != "dd_abcd" || a.Scope != store.ScopeRead || a.LastUsedAt != nil || a.CreatedAt.IsZero() {
		t.Errorf("CreateAPIToken = %+v; want a positive id, the trimmed name, the hash, the prefix, scope read, no last use", a)
	}
	b, err := s.CreateAPIToken(ctx(t), "script", hashOf("tok-b"), "dd_efgh", store.ScopeWrite)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateAPIToken(ctx(t), "again", hashOf("tok-a"), "dd_abcd", store.ScopeRead)
	wantErr(t, "CreateAPIToken with a taken hash", err, store.ErrConflict)

	list, err := s.ListAPITokens(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID || list[0].Scope != store.ScopeWrite || list[1].Scope != store.ScopeRead {
		t.Errorf("ListAPITokens = %+v; want [script (write), homepage widget (read)] (newest first)", list)
	}

	got, err := s.APITokenByHash(ctx(t), hashOf("tok-a"))
	if err != nil || got.ID != a.ID || got.Scope != store.ScopeRead {
		t.Errorf("APITokenByHash = %+v, %v; want token %d with scope read", got, err, a.ID)
	}
	_, err = s.APITokenByHash(ctx(t), hashOf("nope"))
	wantErr(t, "APITokenByHash of an unknown hash", err, store.ErrNotFound)

	if err := s.TouchAPIToken(ctx(t), a.ID, at(time.Hour)); err != nil {
		t.Fatalf("TouchAPIToken: %v", err)
	}
	got, _ = s.APITokenByHash(ctx(t), hashOf("tok-a"))
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(at(time.Hour)) {
		t.Errorf("LastUsedAt = %s after TouchAPIToken, want %s", fmtTimePtr(got.LastUsedAt), at(time.Hour))
	}
	wantErr(t, "TouchAPIToken of an unknown id", s.TouchAPIToken(ctx(t), 1<<40, at(0)), store.ErrNotFound)

	if err := s.RevokeAPIToken(ctx(t), a.ID); err != nil {
		t.Fatalf("RevokeAPIToken: %v", err)
	}
	_, err = s.APITokenByHash(ctx(t), hashOf("tok-a"))
	wantErr(t, "APITokenByHash after RevokeAPIToken", err, store.ErrNotFound)
	wantErr(t, "RevokeAPIToken twice", s.RevokeAPIToken(ctx(t), a.ID), store.ErrNotFound)
	if list, _ := s.ListAPITokens(ctx(t)); len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("ListAPITokens after revoking = %+v; want only %d", list, b.ID)
	}
}

func testAPITokenValidation(t *testing.T, s store.Store) {
	_, err := s.CreateAPIToken(ctx(t), " ", hashOf("x"), "dd_x", store.ScopeRead)
	wantErr(t, "CreateAPIToken with a blank name", err, store.ErrInvalid)
	_, err = s.CreateAPIToken(ctx(t), string(make([]byte, store.MaxTokenNameLen+1)), hashOf("y"), "dd_y", store.ScopeRead)
	wantErr(t, "CreateAPIToken with a long name", err, store.ErrInvalid)
	_, err = s.CreateAPIToken(ctx(t), "ok", "", "dd_z", store.ScopeRead)
	wantErr(t, "CreateAPIToken without a hash", err, store.ErrInvalid)
	// The name shows in the audit trail: a right-to-left override reversed its line there.
	for _, name := range []string{"ci\u202eeton", "a\nb", "a\u2028b"} {
		_, err = s.CreateAPIToken(ctx(t), name, hashOf("bidi-"+name), "dd_b", store.ScopeRead)
		wantErr(t, fmt.Sprintf("CreateAPIToken named %q", name), err, store.ErrInvalid)
	}
	for _, scope := range []store.TokenScope{"", "admin", "READ", "read,write"} {
		_, err = s.CreateAPIToken(ctx(t), "scoped", hashOf("scope-"+string(scope)), "dd_s", scope)
		wantErr(t, fmt.Sprintf("CreateAPIToken with scope %q", scope), err, store.ErrInvalid)
	}
	if list, err := s.ListAPITokens(ctx(t)); err != nil || len(list) != 0 {
		t.Errorf("ListAPITokens after refused creations = %+v, %v; want none stored", list, err)
	}
}
