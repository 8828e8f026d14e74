package store

import (
	"context"
	"database/sql"
	"diundashboard/internal/textutil"
	"errors"
	"fmt"
	"strings"
	"time"

	"diundashboard/gen/sqlitedb"
)

// AuthStore keeps what sign-in needs: browser sessions and API tokens. Users themselves are
// configuration (AUTH_USERNAME), not rows. Secrets never reach the database in the clear:
// callers pass the SHA-256 (hex) of a session id or token, so a leaked database cannot be
// used to sign in.
type AuthStore interface {
	// CreateSession stores a new session; an IDHash already taken gives ErrConflict.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session with that id hash, or ErrNotFound. It returns expired
	// sessions too: the caller compares ExpiresAt with its clock.
	GetSession(ctx context.Context, idHash string) (Session, error)
	// TouchSession records activity and moves the expiry, or returns ErrNotFound.
	TouchSession(ctx context.Context, idHash string, lastSeen, expires time.Time) error
	// DeleteSession signs a session out; deleting one that does not exist is not an error.
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteAllSessions signs everybody out and returns how many sessions ended.
	DeleteAllSessions(ctx context.Context) (int64, error)
	// DeleteExpiredSessions removes sessions whose ExpiresAt is not after now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	// CreateAPIToken stores a token by its hash with what it may do; a hash already taken
	// gives ErrConflict, an unknown scope ErrInvalid.
	CreateAPIToken(ctx context.Context, name, tokenHash, prefix string, scope TokenScope) (APIToken, error)
	// ListAPITokens returns every token, newest first.
	ListAPITokens(ctx context.Context) ([]APIToken, error)
	// APITokenByHash returns the token with that hash, or ErrNotFound.
	APITokenByHash(ctx context.Context, tokenHash string) (APIToken, error)
	// TouchAPIToken records when a token was last used, or returns ErrNotFound.
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
	// RevokeAPIToken deletes a token, or returns ErrNotFound.
	RevokeAPIToken(ctx context.Context, id int64) error
}

// Session is one signed-in browser.
type Session struct {
	// IDHash is the SHA-256 (hex) of the random id the cookie carries.
	IDHash   string
	Username string
	// Credential fingerprints the user and password the session was signed in with, so that
	// a changed password ends it (see auth.Authenticator).
	Credential string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// APIToken is a credential for machine clients. The token itself is shown once, when made.
type APIToken struct {
	ID   int64
	Name string
	// TokenHash is the SHA-256 (hex) of the token.
	TokenHash string
	// Prefix is the token's first characters, to tell tokens apart.
	Prefix     string
	Scope      TokenScope
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// TokenScope is what an API token may do. Managing credentials (the webhook token, API
// tokens, sessions) needs a person and is in no scope.
type TokenScope string

const (
	// ScopeRead: API reads, the live event stream and the feed.
	ScopeRead TokenScope = "read"
	// ScopeWrite: everything ScopeRead may, and triage (state, tags, delete).
	ScopeWrite TokenScope = "write"
)

// Valid reports whether s is a known scope.
func (s TokenScope) Valid() bool { return s == ScopeRead || s == ScopeWrite }

// Allows reports whether a token of scope s may do what needs scope want.
func (s TokenScope) Allows(want TokenScope) bool {
	return s == ScopeWrite || (s == ScopeRead && want == ScopeRead)
}

// MaxTokenNameLen bounds the name of an API token.
const MaxTokenNameLen = 100

func (d *db) CreateSession(ctx context.Context, s Session) error {
	if s.IDHash == "" || s.Username == "" {
		return fmt.Errorf("%w: a session needs an id hash and a username", ErrInvalid)
	}
	err := d.write.CreateSession(ctx, sqlitedb.CreateSessionParams{
		IDHash: s.IDHash, Username: s.Username, Credential: s.Credential,
		CreatedAt: dbTime(s.CreatedAt), LastSeenAt: dbTime(s.LastSeenAt), ExpiresAt: dbTime(s.ExpiresAt),
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("session: %w", ErrConflict)
	}
	return err
}

func (d *db) GetSession(ctx context.Context, idHash string) (Session, error) {
	r, err := d.read.GetSession(ctx, idHash)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, err
	}
	return Session{IDHash: r.IDHash, Username: r.Username, Credential: r.Credential, CreatedAt: r.CreatedAt.UTC(), LastSeenAt: r.LastSeenAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

func (d *db) TouchSession(ctx context.Context, idHash string, lastSeen, expires time.Time) error {
	n, err := d.write.TouchSession(ctx, sqlitedb.TouchSessionParams{LastSeenAt: dbTime(lastSeen), ExpiresAt: dbTime(expires), IDHash: idHash})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("session: %w", ErrNotFound)
	}
	return nil
}

func (d *db) DeleteSession(ctx context.Context, idHash string) error {
	_, err := d.write.DeleteSession(ctx, idHash)
	return err
}

func (d *db) DeleteAllSessions(ctx context.Context) (int64, error) {
	return d.write.DeleteAllSessions(ctx)
}

func (d *db) DeleteExpiredSessions(ctx context.Context, at time.Time) (int64, error) {
	return d.write.DeleteExpiredSessions(ctx, dbTime(at))
}

func (d *db) CreateAPIToken(ctx context.Context, name, tokenHash, prefix string, scope TokenScope) (APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return APIToken{}, fmt.Errorf("%w: a token needs a name", ErrInvalid)
	}
	if err := checkText("token name", name, MaxTokenNameLen); err != nil {
		return APIToken{}, err
	}
	// The name is shown in the audit trail: a right-to-left override in it reversed the line.
	if r, bad := textutil.LineBreaker(name); bad {
		return APIToken{}, fmt.Errorf("%w: a token name cannot contain the control or formatting character %U; name it with plain text on one line", ErrInvalid, r)
	}
	if tokenHash == "" {
		return APIToken{}, fmt.Errorf("%w: a token needs a hash", ErrInvalid)
	}
	if !scope.Valid() {
		return APIToken{}, fmt.Errorf("%w: token scope %q is not %q or %q", ErrInvalid, scope, ScopeRead, ScopeWrite)
	}
	r, err := d.write.CreateAPIToken(ctx, sqlitedb.CreateAPITokenParams{Name: name, TokenHash: tokenHash, Prefix: prefix, Scope: string(scope), CreatedAt: now()})
	if isUniqueViolation(err) {
		return APIToken{}, fmt.Errorf("api token: %w", ErrConflict)
	}
	if err != nil {
		return APIToken{}, err
	}
	return apiTokenFromRow(r), nil
}

func (d *db) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := d.read.ListAPITokens(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]APIToken, len(rows))
	for i, r := range rows {
		out[i] = apiTokenFromRow(r)
	}
	return out, nil
}

func (d *db) APITokenByHash(ctx context.Context, tokenHash string) (APIToken, error) {
	r, err := d.read.GetAPITokenByHash(ctx, tokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, fmt.Errorf("api token: %w", ErrNotFound)
	}
	if err != nil {
		return APIToken{}, err
	}
	return apiTokenFromRow(r), nil
}

func (d *db) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	t := dbTime(at)
	n, err := d.write.TouchAPIToken(ctx, sqlitedb.TouchAPITokenParams{LastUsedAt: &t, ID: id})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("api token %d: %w", id, ErrNotFound)
	}
	return nil
}

func (d *db) RevokeAPIToken(ctx context.Context, id int64) error {
	n, err := d.write.DeleteAPIToken(ctx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("api token %d: %w", id, ErrNotFound)
	}
	return nil
}

func apiTokenFromRow(r sqlitedb.ApiToken) APIToken {
	return APIToken{ID: r.ID, Name: r.Name, TokenHash: r.TokenHash, Prefix: r.Prefix, Scope: TokenScope(r.Scope), CreatedAt: r.CreatedAt.UTC(), LastUsedAt: utcPtr(r.LastUsedAt)}
}
