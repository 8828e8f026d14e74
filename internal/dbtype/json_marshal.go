package dbtype

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MarshalJSON writes the value as the JSON it holds (null for SQL NULL), not as base64.
func (j JSON) MarshalJSON() ([]byte, error) {
	if j == nil {
		return []byte("null"), nil
	}
	if !json.Valid(j) {
		return nil, fmt.Errorf("dbtype.JSON: the column holds invalid JSON: %.40q", []byte(j))
	}
	return j, nil
}

// UnmarshalJSON keeps the JSON value as it is; null becomes SQL NULL.
func (j *JSON) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*j = nil
		return nil
	}
	*j = append((*j)[:0:0], b...)
	return nil
}
