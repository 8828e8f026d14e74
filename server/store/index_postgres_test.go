//go:build postgres

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"diundashboard/internal/pgtest"
)

// TestPostgresQueryPlans asks PostgreSQL for the plan of every query in planCases, on tables
// seeded and analyzed, three ways:
//
//   - "capable": sequential scans and sorts switched off, as a custom plan (parameter values
//     known, as for the first executions of a prepared statement) and as the generic plan the
//     plan cache may switch to later ("hostname = $3 OR $3 IS NULL" cannot be folded away).
//     A Seq Scan or Sort that remains means no index can serve the filter or the order.
//   - "chosen": the default planner settings, custom and generic plans, for what every page
//     of the dashboard runs (the image lists and their tags): on realistic tables the planner
//     must also prefer the index (only tags, a few rows typed by people, may be scanned).
func TestPostgresQueryPlans(t *testing.T) {
	ctx := context.Background()
	databaseURL := pgtest.NewDatabase(t)
	if err := Migrate(ctx, databaseURL); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedPostgres(t, db, 5000, 50000)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	queries := readQueries(t, "postgres")
	names := make([]string, 0, len(planCases))
	for name := range planCases {
		names = append(names, name)
	}
	slices.Sort(names)
	modes := []struct {
		name     string
		settings []string
		chosen   bool // the planner's own choice, checked for the dashboard's queries only
	}{
		{"capable/custom", []string{"enable_seqscan = off", "enable_sort = off", "plan_cache_mode = force_custom_plan"}, false},
		{"capable/generic", []string{"enable_seqscan = off", "enable_sort = off", "plan_cache_mode = force_generic_plan"}, false},
		{"chosen/custom", []string{"enable_seqscan = on", "enable_sort = on", "plan_cache_mode = force_custom_plan"}, true},
		{"chosen/generic", []string{"enable_seqscan = on", "enable_sort = on", "plan_cache_mode = force_generic_plan"}, true},
	}
	for _, name := range names {
		c := planCases[name]
		q, ok := queries[name]
		if !ok {
			continue // reported by TestQueryPlanCoverage
		}
		t.Run(name, func(t *testing.T) {
			// PREPARE with $n in order of first use, as sqlc numbers them.
			var values []string
			number := map[string]int{}
			text := bindParams(q.sql, func(p string) string {
				if _, ok := number[p]; !ok {
					v, ok := c.param(p)
					if !ok {
						t.Fatalf("no plan value for parameter %s", p)
					}
					values = append(values, pgLiteral(v))
					number[p] = len(values)
				}
				return fmt.Sprintf("$%d", number[p])
			})
			if _, err := conn.ExecContext(ctx, "PREPARE plan_q AS "+text); err != nil {
				t.Fatalf("PREPARE: %v\n%s", err, text)
			}
			defer conn.ExecContext(ctx, "DEALLOCATE plan_q")
			execute := "EXECUTE plan_q"
			if len(values) > 0 {
				execute += "(" + strings.Join(values, ", ") + ")"
			}
			for _, mode := range modes {
				if mode.chosen && !strings.HasPrefix(name, "ListImage") {
					continue
				}
				for _, set := range mode.settings {
					if _, err := conn.ExecContext(ctx, "SET "+set); err != nil {
						t.Fatal(err)
					}
				}
				var raw string
				if err := conn.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+execute).Scan(&raw); err != nil {
					t.Fatalf("EXPLAIN %s: %v", execute, err)
				}
				var plans []struct {
					Plan pgPlanNode `json:"Plan"`
				}
				if err := json.Unmarshal([]byte(raw), &plans); err != nil || len(plans) != 1 {
					t.Fatalf("cannot read the plan: %v\n%s", err, raw)
				}
				nodes := plans[0].Plan.flatten(nil)
				t.Logf("%s:\n%s", mode.name, pgPlanText(nodes))
				checkPostgresPlan(t, mode.name, nodes, c)
			}
		})
	}
}

// pgPlanNode is the part of EXPLAIN (FORMAT JSON) the checks read.
type pgPlanNode struct {
	NodeType     string       `json:"Node Type"`
	RelationName string       `json:"Relation Name"`
	IndexName    string       `json:"Index Name"`
	IndexCond    string       `json:"Index Cond"`
	Direction    string       `json:"Scan Direction"`
	Plans        []pgPlanNode `json:"Plans"`
	depth        int
}

func (n pgPlanNode) flatten(out []pgPlanNode) []pgPlanNode {
	var walk func(n pgPlanNode, depth int)
	walk = func(n pgPlanNode, depth int) {
		n.depth = depth
		out = append(out, n)
		for _, c := range n.Plans {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return out
}

func pgPlanText(nodes []pgPlanNode) string {
	var b strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&b, "%s%s", strings.Repeat("  ", n.depth), n.NodeType)
		if n.Direction == "Backward" {
			b.WriteString(" Backward")
		}
		if n.IndexName != "" {
			fmt.Fprintf(&b, " using %s", n.IndexName)
		}
		if n.RelationName != "" {
			fmt.Fprintf(&b, " on %s", n.RelationName)
		}
		if n.IndexCond != "" {
			fmt.Fprintf(&b, " [%s]", n.IndexCond)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func checkPostgresPlan(t *testing.T, mode string, nodes []pgPlanNode, c planCase) {
	t.Helper()
	var usedBy []pgPlanNode
	for _, n := range nodes {
		switch n.NodeType {
		case "Seq Scan":
			if (n.RelationName != "tags" || !strings.HasPrefix(mode, "chosen")) && !slices.Contains(substringScans, n.RelationName) {
				t.Errorf("%s: sequential scan of %s", mode, n.RelationName)
			}
		case "Sort", "Incremental Sort":
			if c.ordered {
				t.Errorf("%s: sorts instead of reading an index in order", mode)
			}
		}
		if slices.Contains(c.pgIndexes, n.IndexName) {
			usedBy = append(usedBy, n)
		}
	}
	if len(usedBy) == 0 {
		t.Errorf("%s: uses none of the indexes %v", mode, c.pgIndexes)
		return
	}
	if c.keyset && !slices.ContainsFunc(usedBy, func(n pgPlanNode) bool { return strings.ContainsAny(n.IndexCond, "<>") }) {
		t.Errorf("%s: the cursor condition is not an index condition of %v: every page would read from the start", mode, c.pgIndexes)
	}
}

// pgLiteral writes a plan parameter as an SQL literal for EXECUTE.
func pgLiteral(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return fmt.Sprint(v)
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case time.Time:
		return "'" + v.UTC().Format("2006-01-02 15:04:05.999999") + "+00'"
	}
	panic(fmt.Sprintf("pgLiteral: %T", v))
}
