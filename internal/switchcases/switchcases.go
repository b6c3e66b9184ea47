// Package switchcases reads the case types of a function's type switch
// from source, for tests that check a subscriber's filter (the update
// types it asks for at subscription) names the same types as the switch
// that handles them, so a case added to one and not the other fails a
// test instead of silently never being delivered.
package switchcases

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
	"testing"
)

// Of returns the sorted case types (as written, e.g. "matrix.StatusChanged")
// of the first type switch in the function or method funcName declared in
// the Go file at path.
func Of(path, funcName string) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("switchcases: %w", err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != funcName || fn.Body == nil {
			continue
		}
		var cases []string
		found := false
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSwitchStmt)
			if !ok || found {
				return !found
			}
			found = true
			for _, st := range ts.Body.List {
				for _, e := range st.(*ast.CaseClause).List {
					cases = append(cases, exprString(e))
				}
			}
			return false
		})
		if !found {
			return nil, fmt.Errorf("switchcases: no type switch in %s in %s", funcName, path)
		}
		sort.Strings(cases)
		return cases, nil
	}
	return nil, fmt.Errorf("switchcases: no function %s in %s", funcName, path)
}

// exprString writes a case's type: a name or package.Name.
func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.StarExpr:
		return "*" + exprString(e.X)
	}
	return fmt.Sprintf("%T", e)
}

// Same reports how two case lists differ, "" if they name the same types.
func Same(handled, wanted []string) string {
	var diff []string
	in := func(s []string, v string) bool {
		for _, x := range s {
			if x == v {
				return true
			}
		}
		return false
	}
	for _, h := range handled {
		if !in(wanted, h) {
			diff = append(diff, h+" is handled but not asked for")
		}
	}
	for _, w := range wanted {
		if !in(handled, w) {
			diff = append(diff, w+" is asked for but not handled")
		}
	}
	return strings.Join(diff, "; ")
}

// Match fails t unless the type switch of the function filter (a
// subscriber's filter) names the same types as that of handler (the
// switch that handles what the filter lets through), both in the Go file
// at path.
func Match(t testing.TB, path, handler, filter string) {
	t.Helper()
	handled, err := Of(path, handler)
	if err != nil {
		t.Fatal(err)
	}
	wanted, err := Of(path, filter)
	if err != nil {
		t.Fatal(err)
	}
	if d := Same(handled, wanted); d != "" {
		t.Errorf("%s: %s", path, d)
	}
}
