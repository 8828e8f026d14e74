// Package dbtype holds column types that the generated query packages share.
package dbtype

import (
	"database/sql/driver"
	"fmt"
)

// JSON is a nullable JSON column: nil is SQL NULL. It is written as text, so SQLite stores it
// as TEXT (readable with the sqlite3 shell) and PostgreSQL parses it into jsonb.
type JSON []byte

// Scan reads NULL, text or bytes.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0:0], v...)
	case string:
		*j = JSON(v)
	default:
		return fmt.Errorf("dbtype.JSON: cannot scan %T", src)
	}
	return nil
}

// Value writes nil as NULL and anything else as text.
func (j JSON) Value() (driver.Value, error) {
	if j == nil {
		return nil, nil
	}
	return string(j), nil
}
