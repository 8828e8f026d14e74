package store

import (
	"context"

	"diundashboard/gen/postgresdb"
	"diundashboard/gen/sqlitedb"
)

// copyQueries is the part of the generated method set that copy.go uses (sql/*/queries/
// copy.sql). It is kept apart from queries (queries.go) so that the server's own query set does
// not grow with maintenance-only statements; the same rule holds: both generated packages
// have identical types, and pgCopyQueries converts with plain Go conversions.
type copyQueries interface {
	ExportImages(ctx context.Context, arg sqlitedb.ExportImagesParams) ([]sqlitedb.Image, error)
	ExportEvents(ctx context.Context, arg sqlitedb.ExportEventsParams) ([]sqlitedb.Event, error)
	ExportTags(ctx context.Context, arg sqlitedb.ExportTagsParams) ([]sqlitedb.Tag, error)
	ExportImageTags(ctx context.Context, arg sqlitedb.ExportImageTagsParams) ([]sqlitedb.ImageTag, error)
	ExportSettings(ctx context.Context, arg sqlitedb.ExportSettingsParams) ([]sqlitedb.Setting, error)
	ExportSessions(ctx context.Context, arg sqlitedb.ExportSessionsParams) ([]sqlitedb.Session, error)
	ExportAPITokens(ctx context.Context, arg sqlitedb.ExportAPITokensParams) ([]sqlitedb.ApiToken, error)
	ExportStateChanges(ctx context.Context, arg sqlitedb.ExportStateChangesParams) ([]sqlitedb.StateChange, error)
	ImportImage(ctx context.Context, arg sqlitedb.ImportImageParams) error
	ImportEvent(ctx context.Context, arg sqlitedb.ImportEventParams) error
	ImportTag(ctx context.Context, arg sqlitedb.ImportTagParams) error
	ImportImageTag(ctx context.Context, arg sqlitedb.ImportImageTagParams) error
	ImportSetting(ctx context.Context, arg sqlitedb.ImportSettingParams) error
	ImportSession(ctx context.Context, arg sqlitedb.ImportSessionParams) error
	ImportAPIToken(ctx context.Context, arg sqlitedb.ImportAPITokenParams) error
	ImportStateChange(ctx context.Context, arg sqlitedb.ImportStateChangeParams) error
	ExportNotifyQueue(ctx context.Context, arg sqlitedb.ExportNotifyQueueParams) ([]sqlitedb.NotifyQueue, error)
	ExportNotifyOutbox(ctx context.Context, arg sqlitedb.ExportNotifyOutboxParams) ([]sqlitedb.NotifyOutbox, error)
	UnqueueImportedImage(ctx context.Context, imageID int64) error
	ImportNotifyQueue(ctx context.Context, arg sqlitedb.ImportNotifyQueueParams) error
	ImportNotifyOutbox(ctx context.Context, arg sqlitedb.ImportNotifyOutboxParams) error
}

var (
	_ copyQueries = (*sqlitedb.Queries)(nil)
	_ copyQueries = pgCopyQueries{}
)

// pgCopyQueries runs the PostgreSQL copy queries behind copyQueries.
type pgCopyQueries struct{ q *postgresdb.Queries }

func (p pgCopyQueries) ExportImages(ctx context.Context, arg sqlitedb.ExportImagesParams) ([]sqlitedb.Image, error) {
	rows, err := p.q.ExportImages(ctx, postgresdb.ExportImagesParams(arg))
	return convertRows(rows, func(r postgresdb.Image) sqlitedb.Image { return sqlitedb.Image(r) }), err
}

func (p pgCopyQueries) ExportEvents(ctx context.Context, arg sqlitedb.ExportEventsParams) ([]sqlitedb.Event, error) {
	rows, err := p.q.ExportEvents(ctx, postgresdb.ExportEventsParams(arg))
	return convertRows(rows, func(r postgresdb.Event) sqlitedb.Event { return sqlitedb.Event(r) }), err
}

func (p pgCopyQueries) ExportTags(ctx context.Context, arg sqlitedb.ExportTagsParams) ([]sqlitedb.Tag, error) {
	rows, err := p.q.ExportTags(ctx, postgresdb.ExportTagsParams(arg))
	return convertRows(rows, func(r postgresdb.Tag) sqlitedb.Tag { return sqlitedb.Tag(r) }), err
}

func (p pgCopyQueries) ExportImageTags(ctx context.Context, arg sqlitedb.ExportImageTagsParams) ([]sqlitedb.ImageTag, error) {
	rows, err := p.q.ExportImageTags(ctx, postgresdb.ExportImageTagsParams(arg))
	return convertRows(rows, func(r postgresdb.ImageTag) sqlitedb.ImageTag { return sqlitedb.ImageTag(r) }), err
}

func (p pgCopyQueries) ExportSettings(ctx context.Context, arg sqlitedb.ExportSettingsParams) ([]sqlitedb.Setting, error) {
	rows, err := p.q.ExportSettings(ctx, postgresdb.ExportSettingsParams(arg))
	return convertRows(rows, func(r postgresdb.Setting) sqlitedb.Setting { return sqlitedb.Setting(r) }), err
}

func (p pgCopyQueries) ExportSessions(ctx context.Context, arg sqlitedb.ExportSessionsParams) ([]sqlitedb.Session, error) {
	rows, err := p.q.ExportSessions(ctx, postgresdb.ExportSessionsParams(arg))
	return convertRows(rows, func(r postgresdb.Session) sqlitedb.Session { return sqlitedb.Session(r) }), err
}

func (p pgCopyQueries) ExportAPITokens(ctx context.Context, arg sqlitedb.ExportAPITokensParams) ([]sqlitedb.ApiToken, error) {
	rows, err := p.q.ExportAPITokens(ctx, postgresdb.ExportAPITokensParams(arg))
	return convertRows(rows, func(r postgresdb.ApiToken) sqlitedb.ApiToken { return sqlitedb.ApiToken(r) }), err
}

func (p pgCopyQueries) ImportImage(ctx context.Context, arg sqlitedb.ImportImageParams) error {
	return p.q.ImportImage(ctx, postgresdb.ImportImageParams(arg))
}

func (p pgCopyQueries) ImportEvent(ctx context.Context, arg sqlitedb.ImportEventParams) error {
	return p.q.ImportEvent(ctx, postgresdb.ImportEventParams(arg))
}

func (p pgCopyQueries) ImportTag(ctx context.Context, arg sqlitedb.ImportTagParams) error {
	return p.q.ImportTag(ctx, postgresdb.ImportTagParams(arg))
}

func (p pgCopyQueries) ImportImageTag(ctx context.Context, arg sqlitedb.ImportImageTagParams) error {
	return p.q.ImportImageTag(ctx, postgresdb.ImportImageTagParams(arg))
}

func (p pgCopyQueries) ImportSetting(ctx context.Context, arg sqlitedb.ImportSettingParams) error {
	return p.q.ImportSetting(ctx, postgresdb.ImportSettingParams(arg))
}

func (p pgCopyQueries) ImportSession(ctx context.Context, arg sqlitedb.ImportSessionParams) error {
	return p.q.ImportSession(ctx, postgresdb.ImportSessionParams(arg))
}

func (p pgCopyQueries) ImportAPIToken(ctx context.Context, arg sqlitedb.ImportAPITokenParams) error {
	return p.q.ImportAPIToken(ctx, postgresdb.ImportAPITokenParams(arg))
}

func (p pgCopyQueries) ExportStateChanges(ctx context.Context, arg sqlitedb.ExportStateChangesParams) ([]sqlitedb.StateChange, error) {
	rows, err := p.q.ExportStateChanges(ctx, postgresdb.ExportStateChangesParams(arg))
	return convertRows(rows, func(r postgresdb.StateChange) sqlitedb.StateChange { return sqlitedb.StateChange(r) }), err
}

func (p pgCopyQueries) ImportStateChange(ctx context.Context, arg sqlitedb.ImportStateChangeParams) error {
	return p.q.ImportStateChange(ctx, postgresdb.ImportStateChangeParams(arg))
}
