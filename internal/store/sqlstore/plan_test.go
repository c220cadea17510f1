package sqlstore

import (
	"strings"
	"testing"
)

// TestStatementsUseKeys checks on SQLite that no prepared statement scans a
// whole table or sorts: each reaches its rows through a key or an index.
func TestStatementsUseKeys(t *testing.T) {
	s := openTestStore(t, true)
	args := make([]any, 32) // every $N a statement uses, bound to NULL
	for _, d := range s.stmt.defs() {
		plan := explain(t, s, d.sql, args)
		for _, step := range plan {
			scan := strings.HasPrefix(step, "SCAN ") && !strings.HasSuffix(step, "VALUES CLAUSE")
			if scan || strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("%s\nplan: %s", d.sql, strings.Join(plan, "; "))
				break
			}
		}
	}
}

// explain returns the steps of SQLite's plan for query.
func explain(t *testing.T, s *Store, query string, args []any) []string {
	t.Helper()
	rows, err := s.writeDB.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatalf("explain %.60q: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
