package main

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The configuration reference in docs/configuration.md is generated from settings(), so that it
// cannot drift from what the binary reads: this test fails when the table differs, and rewrites
// it with -update. It also finds every variable read with getenv/os.Getenv/os.LookupEnv outside
// settings() and fails when the page does not name it.
var updateDocs = flag.Bool("update", false, "rewrite the generated table of docs/configuration.md")

const (
	configDoc   = "../../docs/configuration.md"
	tableBegin  = "<!-- BEGIN settings: generated from cmd/diundashboard/config.go by `go test ./cmd/diundashboard -run TestConfigurationReference -update` -->"
	tableEnd    = "<!-- END settings -->"
	sourceRoots = "../../cmd/diundashboard ../../server"
)

// referenceTable renders every setting as one row: variable, flag, default and meaning.
func referenceTable() string {
	var c config
	var b strings.Builder
	b.WriteString("| Variable | Flag | Default | Meaning |\n| --- | --- | --- | --- |\n")
	for _, s := range c.settings() {
		def := "none"
		if s.def != "" {
			def = "`" + s.def + "`"
		}
		usage := strings.ReplaceAll(s.usage, "|", `\|`)
		b.WriteString("| `" + s.env + "` | `--" + s.flag + "` | " + def + " | " + usage + " |\n")
	}
	return b.String()
}

func TestConfigurationReference(t *testing.T) {
	raw, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	begin, end := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s has no generated table between %q and %q", configDoc, tableBegin, tableEnd)
	}
	want := referenceTable()
	got := doc[begin+len(tableBegin)+1 : end]
	if got != want {
		if *updateDocs {
			doc = doc[:begin+len(tableBegin)+1] + want + doc[end:]
			if err := os.WriteFile(configDoc, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the table of %s", configDoc)
		} else {
			t.Errorf("the table of %s is not what settings() says: run `go test ./cmd/diundashboard -run TestConfigurationReference -update` and commit docs/configuration.md\nwant:\n%s", configDoc, want)
		}
	}

	// Variables read directly, outside settings(): each must be named in the page.
	for name, where := range envReads(t) {
		if !regexp.MustCompile("`" + name + "`").MatchString(doc) {
			t.Errorf("%s reads the environment variable %s, which %s does not name", where, name, configDoc)
		}
	}
}

// envReads finds every string literal passed to getenv, os.Getenv or os.LookupEnv in the
// non-test Go files of the binary and the server, with where it is read.
func envReads(t *testing.T) map[string]string {
	t.Helper()
	found := map[string]string{}
	fset := token.NewFileSet()
	for _, root := range strings.Fields(sourceRoots) {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					return true
				}
				var name string
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "os" {
						name = fn.Sel.Name
					}
				}
				if name != "getenv" && name != "Getenv" && name != "LookupEnv" {
					return true
				}
				if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					found[v] = fset.Position(lit.Pos()).String()
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(found) == 0 {
		t.Fatal("found no environment reads at all: the scan is broken")
	}
	return found
}
