// Package schema embeds the dbmate migrations of both dialects so that the binary can apply
// them at start-up and through `diundashboard migrate` without any file beside it.
package schema

import "embed"

// SQLite holds sqlite/migrations/*.sql, in dbmate's format.
//
//go:embed sqlite/migrations/*.sql
var SQLite embed.FS

// Postgres holds postgres/migrations/*.sql, in dbmate's format.
//
//go:embed postgres/migrations/*.sql
var Postgres embed.FS

// Directories inside the embedded file systems, as dbmate's MigrationsDir expects them.
const (
	SQLiteDir   = "sqlite/migrations"
	PostgresDir = "postgres/migrations"
)
