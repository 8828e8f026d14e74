package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// dialectFiles are the files that may know which dialect they run on: each dialect's own file
// sets the functions of db that differ (db.go), so that shared code never asks.
var dialectFiles = map[string]bool{
	"sqlite.go": true, "postgres.go": true, "open.go": true, "migrate.go": true, "dsn.go": true,
	// counts.go still branches (issue 18 names it; another change moves it behind the seam).
	"counts.go": true,
}

// TestSharedFilesDoNotAskTheDialect fails on a comparison with DialectPostgres or
// DialectSQLite in a shared store file.
func TestSharedFilesDoNotAskTheDialect(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || dialectFiles[name] {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			be, ok := n.(*ast.BinaryExpr)
			if !ok || (be.Op != token.EQL && be.Op != token.NEQ) {
				return true
			}
			for _, side := range []ast.Expr{be.X, be.Y} {
				if id, ok := side.(*ast.Ident); ok && (id.Name == "DialectPostgres" || id.Name == "DialectSQLite") {
					t.Errorf("%s: shared code compares with %s: give db a function that sqlite.go and postgres.go set instead", fset.Position(be.Pos()), id.Name)
				}
			}
			return true
		})
	}
}
