package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// String returns the position as "file:line:column", leaving out the parts
// that are unknown: "file:line" when the column is unknown, "file" when the
// line is, and "" for the zero Position.
func (p Position) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if p.File != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Column))
		}
	}
	return b.String()
}

// Error is one problem in a configuration: where it is, which key it
// concerns and what is wrong. Pos is the zero Position for configurations
// that were not read from a file.
type Error struct {
	// Pos is where the problem is in the source file.
	Pos Position
	// Path names the key, as in "routes[3].path" or "services.auth.targets[0]".
	Path string
	// Msg says what is wrong and, where it can, how to fix it.
	Msg string
}

// Error returns "file:line:column: path: msg", leaving out what is unknown.
func (e Error) Error() string {
	var b strings.Builder
	if p := e.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one configuration, in source order.
type Errors []Error

// Error returns one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders es by position, then path, then message, so that output is
// stable and reads top to bottom like the file.
func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
}

// err returns es as an error, or nil when it is empty.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	es.sort()
	return es
}
