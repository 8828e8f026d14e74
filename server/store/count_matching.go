package store

import (
	"context"

	"diundashboard/gen/postgresdb"
	"diundashboard/gen/sqlitedb"
)

// CountImagesMatching counts a filtered view per host and state (count_images.sql): the
// overview's tabs, host headings and pager say what the view holds, not what every image
// does. An unfiltered view keeps reading the counts that triggers maintain (Summary).
func (d *db) CountImagesMatching(ctx context.Context, f ImageFilter) ([]HostCount, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	rows, err := d.read.CountImagesMatching(ctx, sqlitedb.CountImagesMatchingParams{
		Hostname: f.host(), Provider: nilIfEmpty(f.Provider), Q: nilIfEmpty(f.Query), Tag: nilIfEmpty(f.Tag), Stack: nilIfEmpty(f.Stack),
	})
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
