package store

import (
	"context"
	"time"

	"diundashboard/gen/postgresdb"
	"diundashboard/gen/sqlitedb"
)

// queries is the method set sqlc generates for each dialect. The two generated packages are
// kept field-for-field identical (see sqlc.yaml), so the store speaks the SQLite package's
// types and pgQueries converts them with plain Go conversions: a column that drifts between
// the dialects stops this file from compiling.
type queries interface {
	CountEventsBefore(ctx context.Context, before time.Time) (int64, error)
	InsertEvent(ctx context.Context, arg sqlitedb.InsertEventParams) (int64, error)
	LastUpdateTime(ctx context.Context) (time.Time, error)
	ListChecks(ctx context.Context, arg sqlitedb.ListChecksParams) ([]sqlitedb.Event, error)
	ListEvents(ctx context.Context, arg sqlitedb.ListEventsParams) ([]sqlitedb.Event, error)
	LatestEventSources(ctx context.Context, ids string) ([]sqlitedb.LatestEventSourcesRow, error)
	HostHasWebhook(ctx context.Context, hostname string) (int64, error)
	PruneEvents(ctx context.Context, arg sqlitedb.PruneEventsParams) (int64, error)
	CountImages(ctx context.Context) ([]sqlitedb.CountImagesRow, error)
	CountImagesMatching(ctx context.Context, arg sqlitedb.CountImagesMatchingParams) ([]sqlitedb.CountImagesMatchingRow, error)
	CountImagesMatchingOnHost(ctx context.Context, arg sqlitedb.CountImagesMatchingOnHostParams) (sqlitedb.CountImagesMatchingOnHostRow, error)
	GetImage(ctx context.Context, id int64) (sqlitedb.Image, error)
	UpsertImage(ctx context.Context, arg sqlitedb.UpsertImageParams) (sqlitedb.UpsertImageRow, error)
	ListImagesByFirstSeen(ctx context.Context, arg sqlitedb.ListImagesByFirstSeenParams) ([]sqlitedb.Image, error)
	ListImagesByHost(ctx context.Context, arg sqlitedb.ListImagesByHostParams) ([]sqlitedb.Image, error)
	ListImagesByImage(ctx context.Context, arg sqlitedb.ListImagesByImageParams) ([]sqlitedb.Image, error)
	ListImagesByLastSeen(ctx context.Context, arg sqlitedb.ListImagesByLastSeenParams) ([]sqlitedb.Image, error)
	ListImagesInStateByFirstSeen(ctx context.Context, arg sqlitedb.ListImagesInStateByFirstSeenParams) ([]sqlitedb.Image, error)
	ListImagesInStateByHost(ctx context.Context, arg sqlitedb.ListImagesInStateByHostParams) ([]sqlitedb.Image, error)
	ListImagesInStateByImage(ctx context.Context, arg sqlitedb.ListImagesInStateByImageParams) ([]sqlitedb.Image, error)
	ListImagesInStateByLastSeen(ctx context.Context, arg sqlitedb.ListImagesInStateByLastSeenParams) ([]sqlitedb.Image, error)
	GetSetting(ctx context.Context, key string) (string, error)
	DeleteExpiredLease(ctx context.Context, arg sqlitedb.DeleteExpiredLeaseParams) error
	TakeLease(ctx context.Context, arg sqlitedb.TakeLeaseParams) (int64, error)
	LiveLease(ctx context.Context, arg sqlitedb.LiveLeaseParams) (sqlitedb.LiveLeaseRow, error)
	DeleteExpiredLeases(ctx context.Context, arg sqlitedb.DeleteExpiredLeasesParams) (int64, error)
	InsertSettingIfAbsent(ctx context.Context, arg sqlitedb.InsertSettingIfAbsentParams) (int64, error)
	PutSetting(ctx context.Context, arg sqlitedb.PutSettingParams) error
	CreateTag(ctx context.Context, arg sqlitedb.CreateTagParams) (sqlitedb.Tag, error)
	DeleteTag(ctx context.Context, id int64) (int64, error)
	GetTag(ctx context.Context, id int64) (sqlitedb.Tag, error)
	ListImageTags(ctx context.Context, ids string) ([]sqlitedb.ListImageTagsRow, error)
	ListTags(ctx context.Context) ([]sqlitedb.ListTagsRow, error)
	RenameTag(ctx context.Context, arg sqlitedb.RenameTagParams) (sqlitedb.Tag, error)
	CountEventsPerDay(ctx context.Context, sinceDay string) ([]sqlitedb.CountEventsPerDayRow, error)
	CreateSession(ctx context.Context, arg sqlitedb.CreateSessionParams) error
	GetSession(ctx context.Context, idHash string) (sqlitedb.Session, error)
	TouchSession(ctx context.Context, arg sqlitedb.TouchSessionParams) (int64, error)
	DeleteSession(ctx context.Context, idHash string) (int64, error)
	DeleteAllSessions(ctx context.Context) (int64, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
	CreateAPIToken(ctx context.Context, arg sqlitedb.CreateAPITokenParams) (sqlitedb.ApiToken, error)
	ListAPITokens(ctx context.Context) ([]sqlitedb.ApiToken, error)
	GetAPITokenByHash(ctx context.Context, tokenHash string) (sqlitedb.ApiToken, error)
	TouchAPIToken(ctx context.Context, arg sqlitedb.TouchAPITokenParams) (int64, error)
	DeleteAPIToken(ctx context.Context, id int64) (int64, error)
	RecordStateChanges(ctx context.Context, arg sqlitedb.RecordStateChangesParams) ([]sqlitedb.StateChange, error)
	SetImagesState(ctx context.Context, arg sqlitedb.SetImagesStateParams) (int64, error)
	ImageIDsOfHost(ctx context.Context, arg sqlitedb.ImageIDsOfHostParams) ([]int64, error)
	SnoozedDue(ctx context.Context, now *time.Time) ([]int64, error)
	DeleteImages(ctx context.Context, ids string) (int64, error)
	TagImages(ctx context.Context, arg sqlitedb.TagImagesParams) ([]int64, error)
	UntagImages(ctx context.Context, arg sqlitedb.UntagImagesParams) ([]int64, error)
	ListStateChanges(ctx context.Context, arg sqlitedb.ListStateChangesParams) ([]sqlitedb.StateChange, error)
	PruneStateChanges(ctx context.Context, arg sqlitedb.PruneStateChangesParams) (int64, error)
}

var _ queries = (*sqlitedb.Queries)(nil)

// pgQueries runs the PostgreSQL queries behind the queries interface.
type pgQueries struct{ q *postgresdb.Queries }

func (p pgQueries) CountEventsBefore(ctx context.Context, before time.Time) (int64, error) {
	return p.q.CountEventsBefore(ctx, before)
}

func (p pgQueries) InsertEvent(ctx context.Context, arg sqlitedb.InsertEventParams) (int64, error) {
	return p.q.InsertEvent(ctx, postgresdb.InsertEventParams(arg))
}

func (p pgQueries) LastUpdateTime(ctx context.Context) (time.Time, error) {
	return p.q.LastUpdateTime(ctx)
}

func (p pgQueries) ListChecks(ctx context.Context, arg sqlitedb.ListChecksParams) ([]sqlitedb.Event, error) {
	rows, err := p.q.ListChecks(ctx, postgresdb.ListChecksParams(arg))
	return convertRows(rows, func(r postgresdb.Event) sqlitedb.Event { return sqlitedb.Event(r) }), err
}

func (p pgQueries) ListEvents(ctx context.Context, arg sqlitedb.ListEventsParams) ([]sqlitedb.Event, error) {
	rows, err := p.q.ListEvents(ctx, postgresdb.ListEventsParams(arg))
	return convertRows(rows, func(r postgresdb.Event) sqlitedb.Event { return sqlitedb.Event(r) }), err
}

func (p pgQueries) LatestEventSources(ctx context.Context, ids string) ([]sqlitedb.LatestEventSourcesRow, error) {
	rows, err := p.q.LatestEventSources(ctx, ids)
	return convertRows(rows, func(r postgresdb.LatestEventSourcesRow) sqlitedb.LatestEventSourcesRow {
		return sqlitedb.LatestEventSourcesRow(r)
	}), err
}

func (p pgQueries) HostHasWebhook(ctx context.Context, hostname string) (int64, error) {
	return p.q.HostHasWebhook(ctx, hostname)
}

func (p pgQueries) PruneEvents(ctx context.Context, arg sqlitedb.PruneEventsParams) (int64, error) {
	return p.q.PruneEvents(ctx, postgresdb.PruneEventsParams(arg))
}

func (p pgQueries) CountImages(ctx context.Context) ([]sqlitedb.CountImagesRow, error) {
	rows, err := p.q.CountImages(ctx)
	return convertRows(rows, func(r postgresdb.CountImagesRow) sqlitedb.CountImagesRow { return sqlitedb.CountImagesRow(r) }), err
}

func (p pgQueries) GetImage(ctx context.Context, id int64) (sqlitedb.Image, error) {
	row, err := p.q.GetImage(ctx, id)
	return sqlitedb.Image(row), err
}

func (p pgQueries) UpsertImage(ctx context.Context, arg sqlitedb.UpsertImageParams) (sqlitedb.UpsertImageRow, error) {
	row, err := p.q.UpsertImage(ctx, postgresdb.UpsertImageParams(arg))
	return sqlitedb.UpsertImageRow(row), err
}

func (p pgQueries) ListImagesByFirstSeen(ctx context.Context, arg sqlitedb.ListImagesByFirstSeenParams) ([]sqlitedb.Image, error) {
	rows, err := p.q.ListImagesByFirstSeen(ctx, postgresdb.ListImagesByFirstSeenParams(arg))
	return convertRows(rows, func(r postgresdb.Image) sqlitedb.Image { return sqlitedb.Image(r) }), err
}

func (p pgQueries) ListImagesByHost(ctx context.Context, arg sqlitedb.ListImagesByHostParams) ([]sqlitedb.Image, error) {
	rows, err := p.q.ListImagesByHost(ctx, postgresdb.ListImagesByHostParams(arg))
	return convertRows(rows, func(r postgresdb.Image) sqlitedb.Image { return sqlitedb.Image(r) }), err
}

func (p pgQueries) ListImagesByImage(ctx context.Context, arg sqlitedb.ListImagesByImageParams) ([]sqlitedb.Image, error) {
	rows, err := p.q.ListImagesByImage(ctx, postgresdb.ListImagesByImageParams(arg))
	return convertRows(rows, func(r postgresdb.Image) sqlitedb.Image { return sqlitedb.Image(r) }), err
}

func (p pgQueries) ListImagesByLastSeen(ctx context.Context, arg sqlitedb.ListImagesByLastSeenParams) ([]sqlitedb.Image, error) {
	rows, err := p.q.ListImagesByLastSeen(ctx, postgresdb.ListImagesByLastSeenParams(arg))
	return convertRows(rows, func(r postgresdb.Image) sqlitedb.Image { return sqlitedb.Image(r) }), err
}

func (p pgQueries) ListImagesInStateByFirstSeen(ctx context.Context, arg sqlitedb.ListImagesInStateByFirstSeenParams) ([]sqlitedb.Image, error) {
	rows, err := p.q.ListImagesInStateByFirstSeen(ctx, postgresdb.ListImagesInStateByFirstSeenParams(arg))
	return convertRows(rows, func(r postgresdb.Image) sqlitedb.Image { return sqlitedb.Image(r) }), err
}

func (p pgQueries) ListImagesInStateByHost(ctx context.Context, arg sqlitedb.ListImagesInStateByHostParams) ([]sqlitedb.Image, error) {
	rows, err := p.q.ListImagesInStateByHost(ctx, postgresdb.ListImagesInStateByHostParams(arg))
	return convertRows(rows, func(r postgresdb.Image) sqlitedb.Image { return sqlitedb.Image(r) }), err
}

func (p pgQueries) ListImagesInStateByImage(ctx context.Context, arg sqlitedb.ListImagesInStateByImageParams) ([]sqlitedb.Image, error) {
	rows, err := p.q.ListImagesInStateByImage(ctx, postgresdb.ListImagesInStateByImageParams(arg))
	return convertRows(rows, func(r postgresdb.Image) sqlitedb.Image { return sqlitedb.Image(r) }), err
}

func (p pgQueries) ListImagesInStateByLastSeen(ctx context.Context, arg sqlitedb.ListImagesInStateByLastSeenParams) ([]sqlitedb.Image, error) {
	rows, err := p.q.ListImagesInStateByLastSeen(ctx, postgresdb.ListImagesInStateByLastSeenParams(arg))
	return convertRows(rows, func(r postgresdb.Image) sqlitedb.Image { return sqlitedb.Image(r) }), err
}

func (p pgQueries) GetSetting(ctx context.Context, key string) (string, error) {
	return p.q.GetSetting(ctx, key)
}

func (p pgQueries) InsertSettingIfAbsent(ctx context.Context, arg sqlitedb.InsertSettingIfAbsentParams) (int64, error) {
	return p.q.InsertSettingIfAbsent(ctx, postgresdb.InsertSettingIfAbsentParams(arg))
}

func (p pgQueries) PutSetting(ctx context.Context, arg sqlitedb.PutSettingParams) error {
	return p.q.PutSetting(ctx, postgresdb.PutSettingParams(arg))
}

func (p pgQueries) CreateTag(ctx context.Context, arg sqlitedb.CreateTagParams) (sqlitedb.Tag, error) {
	row, err := p.q.CreateTag(ctx, postgresdb.CreateTagParams(arg))
	return sqlitedb.Tag(row), err
}

func (p pgQueries) DeleteTag(ctx context.Context, id int64) (int64, error) {
	return p.q.DeleteTag(ctx, id)
}

func (p pgQueries) GetTag(ctx context.Context, id int64) (sqlitedb.Tag, error) {
	row, err := p.q.GetTag(ctx, id)
	return sqlitedb.Tag(row), err
}

func (p pgQueries) ListImageTags(ctx context.Context, ids string) ([]sqlitedb.ListImageTagsRow, error) {
	rows, err := p.q.ListImageTags(ctx, ids)
	return convertRows(rows, func(r postgresdb.ListImageTagsRow) sqlitedb.ListImageTagsRow { return sqlitedb.ListImageTagsRow(r) }), err
}

func (p pgQueries) ListTags(ctx context.Context) ([]sqlitedb.ListTagsRow, error) {
	rows, err := p.q.ListTags(ctx)
	return convertRows(rows, func(r postgresdb.ListTagsRow) sqlitedb.ListTagsRow { return sqlitedb.ListTagsRow(r) }), err
}

func (p pgQueries) RenameTag(ctx context.Context, arg sqlitedb.RenameTagParams) (sqlitedb.Tag, error) {
	row, err := p.q.RenameTag(ctx, postgresdb.RenameTagParams(arg))
	return sqlitedb.Tag(row), err
}

func (p pgQueries) CountEventsPerDay(ctx context.Context, sinceDay string) ([]sqlitedb.CountEventsPerDayRow, error) {
	rows, err := p.q.CountEventsPerDay(ctx, sinceDay)
	return convertRows(rows, func(r postgresdb.CountEventsPerDayRow) sqlitedb.CountEventsPerDayRow {
		return sqlitedb.CountEventsPerDayRow(r)
	}), err
}

func (p pgQueries) CreateSession(ctx context.Context, arg sqlitedb.CreateSessionParams) error {
	return p.q.CreateSession(ctx, postgresdb.CreateSessionParams(arg))
}

func (p pgQueries) GetSession(ctx context.Context, idHash string) (sqlitedb.Session, error) {
	row, err := p.q.GetSession(ctx, idHash)
	return sqlitedb.Session(row), err
}

func (p pgQueries) TouchSession(ctx context.Context, arg sqlitedb.TouchSessionParams) (int64, error) {
	return p.q.TouchSession(ctx, postgresdb.TouchSessionParams(arg))
}

func (p pgQueries) DeleteSession(ctx context.Context, idHash string) (int64, error) {
	return p.q.DeleteSession(ctx, idHash)
}

func (p pgQueries) DeleteAllSessions(ctx context.Context) (int64, error) {
	return p.q.DeleteAllSessions(ctx)
}

func (p pgQueries) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	return p.q.DeleteExpiredSessions(ctx, now)
}

func (p pgQueries) CreateAPIToken(ctx context.Context, arg sqlitedb.CreateAPITokenParams) (sqlitedb.ApiToken, error) {
	row, err := p.q.CreateAPIToken(ctx, postgresdb.CreateAPITokenParams(arg))
	return sqlitedb.ApiToken(row), err
}

func (p pgQueries) ListAPITokens(ctx context.Context) ([]sqlitedb.ApiToken, error) {
	rows, err := p.q.ListAPITokens(ctx)
	return convertRows(rows, func(r postgresdb.ApiToken) sqlitedb.ApiToken { return sqlitedb.ApiToken(r) }), err
}

func (p pgQueries) GetAPITokenByHash(ctx context.Context, tokenHash string) (sqlitedb.ApiToken, error) {
	row, err := p.q.GetAPITokenByHash(ctx, tokenHash)
	return sqlitedb.ApiToken(row), err
}

func (p pgQueries) TouchAPIToken(ctx context.Context, arg sqlitedb.TouchAPITokenParams) (int64, error) {
	return p.q.TouchAPIToken(ctx, postgresdb.TouchAPITokenParams(arg))
}

func (p pgQueries) DeleteAPIToken(ctx context.Context, id int64) (int64, error) {
	return p.q.DeleteAPIToken(ctx, id)
}

func convertRows[From, To any](rows []From, convert func(From) To) []To {
	if rows == nil {
		return nil
	}
	out := make([]To, len(rows))
	for i, r := range rows {
		out[i] = convert(r)
	}
	return out
}

var _ queries = pgQueries{}

func (p pgQueries) RecordStateChanges(ctx context.Context, arg sqlitedb.RecordStateChangesParams) ([]sqlitedb.StateChange, error) {
	rows, err := p.q.RecordStateChanges(ctx, postgresdb.RecordStateChangesParams(arg))
	return convertRows(rows, func(r postgresdb.StateChange) sqlitedb.StateChange { return sqlitedb.StateChange(r) }), err
}

func (p pgQueries) SetImagesState(ctx context.Context, arg sqlitedb.SetImagesStateParams) (int64, error) {
	return p.q.SetImagesState(ctx, postgresdb.SetImagesStateParams(arg))
}

func (p pgQueries) ImageIDsOfHost(ctx context.Context, arg sqlitedb.ImageIDsOfHostParams) ([]int64, error) {
	return p.q.ImageIDsOfHost(ctx, postgresdb.ImageIDsOfHostParams(arg))
}

func (p pgQueries) SnoozedDue(ctx context.Context, now *time.Time) ([]int64, error) {
	return p.q.SnoozedDue(ctx, now)
}

func (p pgQueries) DeleteImages(ctx context.Context, ids string) (int64, error) {
	return p.q.DeleteImages(ctx, ids)
}

func (p pgQueries) TagImages(ctx context.Context, arg sqlitedb.TagImagesParams) ([]int64, error) {
	return p.q.TagImages(ctx, postgresdb.TagImagesParams(arg))
}

func (p pgQueries) UntagImages(ctx context.Context, arg sqlitedb.UntagImagesParams) ([]int64, error) {
	return p.q.UntagImages(ctx, postgresdb.UntagImagesParams(arg))
}

func (p pgQueries) ListStateChanges(ctx context.Context, arg sqlitedb.ListStateChangesParams) ([]sqlitedb.StateChange, error) {
	rows, err := p.q.ListStateChanges(ctx, postgresdb.ListStateChangesParams(arg))
	return convertRows(rows, func(r postgresdb.StateChange) sqlitedb.StateChange { return sqlitedb.StateChange(r) }), err
}

func (p pgQueries) PruneStateChanges(ctx context.Context, arg sqlitedb.PruneStateChangesParams) (int64, error) {
	return p.q.PruneStateChanges(ctx, postgresdb.PruneStateChangesParams(arg))
}

func (p pgQueries) DeleteExpiredLease(ctx context.Context, arg sqlitedb.DeleteExpiredLeaseParams) error {
	return p.q.DeleteExpiredLease(ctx, postgresdb.DeleteExpiredLeaseParams(arg))
}

func (p pgQueries) TakeLease(ctx context.Context, arg sqlitedb.TakeLeaseParams) (int64, error) {
	return p.q.TakeLease(ctx, postgresdb.TakeLeaseParams(arg))
}

func (p pgQueries) DeleteExpiredLeases(ctx context.Context, arg sqlitedb.DeleteExpiredLeasesParams) (int64, error) {
	return p.q.DeleteExpiredLeases(ctx, postgresdb.DeleteExpiredLeasesParams(arg))
}

func (p pgQueries) LiveLease(ctx context.Context, arg sqlitedb.LiveLeaseParams) (sqlitedb.LiveLeaseRow, error) {
	row, err := p.q.LiveLease(ctx, postgresdb.LiveLeaseParams(arg))
	return sqlitedb.LiveLeaseRow(row), err
}
