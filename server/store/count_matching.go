package store

import (
	"context"

	"diundashboard/gen/postgresdb"
	"diundashboard/gen/sqlitedb"
)

// CountImagesMatching counts a filtered view per host and state (count_images.sql): the
// overview's tabs, host headings and pager say what the view holds, not what every image
// does. An unfiltered view keeps reading the counts that triggers maintain (Summary). A view
// of one host counts that host's rows by its index; one across hosts reads every image once.
func (d *db) CountImagesMatching(ctx context.Context, f ImageFilter) ([]HostCount, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	provider, q, tag, stack := nilIfEmpty(f.Provider), nilIfEmpty(f.Query), nilIfEmpty(f.Tag), nilIfEmpty(f.Stack)
	if host := f.host(); host != nil {
		r, err := d.read.CountImagesMatchingOnHost(ctx, sqlitedb.CountImagesMatchingOnHostParams{
			Hostname: *host, Provider: provider, Q: q, Tag: tag, Stack: stack,
		})
		if err != nil {
			return nil, err
		}
		var out []HostCount
		for _, c := range []HostCount{
			{*host, StateOpen, r.Open}, {*host, StateAcknowledged, r.Acknowledged},
			{*host, StateSnoozed, r.Snoozed}, {*host, StateIgnored, r.Ignored},
		} {
			if c.Images > 0 {
				out = append(out, c)
			}
		}
		return out, nil
	}
	rows, err := d.read.CountImagesMatching(ctx, sqlitedb.CountImagesMatchingParams{Provider: provider, Q: q, Tag: tag, Stack: stack})
	if err != nil {
		return nil, err
	}
	out := make([]HostCount, len(rows))
	for i, r := range rows {
		out[i] = HostCount{Hostname: r.Hostname, State: State(r.State), Images: r.Images}
	}
	return out, nil
}

func (p pgQueries) CountImagesMatching(ctx context.Context, arg sqlitedb.CountImagesMatchingParams) ([]sqlitedb.CountImagesMatchingRow, error) {
	rows, err := p.q.CountImagesMatching(ctx, postgresdb.CountImagesMatchingParams(arg))
	return convertRows(rows, func(r postgresdb.CountImagesMatchingRow) sqlitedb.CountImagesMatchingRow {
		return sqlitedb.CountImagesMatchingRow(r)
	}), err
}

func (p pgQueries) CountImagesMatchingOnHost(ctx context.Context, arg sqlitedb.CountImagesMatchingOnHostParams) (sqlitedb.CountImagesMatchingOnHostRow, error) {
	row, err := p.q.CountImagesMatchingOnHost(ctx, postgresdb.CountImagesMatchingOnHostParams(arg))
	return sqlitedb.CountImagesMatchingOnHostRow(row), err
}
