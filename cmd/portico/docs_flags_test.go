package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// operationsDoc is the operator's reference whose "Flags and environment"
// section must match every command's flags.
const operationsDoc = "../../docs/operations.md"

// flagsHeading starts the section TestDocsFlags reads; each command has a
// "### `portico NAME`" subsection in it with a table of flag, environment,
// default and meaning.
const flagsHeading = "## Flags and environment"

// nestedCommands are commands reached through another's first argument,
// which commands() does not list.
var nestedCommands = []string{"analytics simulate"}

// helpFlag is one flag as flag.PrintDefaults prints it.
type helpFlag struct {
	name, env, def string
}

// docRow is one row of a command's table: "—" cells read as "".
type docRow struct {
	flag, env, def string
}

// TestDocsFlags checks docs/operations.md against the flags each command
// really defines, read from its -h output (the command's own flag set,
// built by the code that runs it, with an empty environment so that the
// defaults are the code's): every flag has a row with its environment
// variable and its default, every variable the help names has a row, and
// no row names a flag the command does not have.
func TestDocsFlags(t *testing.T) {
	sections := mustDocTables(t, operationsDoc)
	var names []string
	for name := range commands() {
		names = append(names, name)
	}
	names = append(names, nestedCommands...)
	slices.Sort(names)
	for _, name := range names {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			rows, ok := sections[name]
			if !ok {
				t.Fatalf("%s has no \"### `portico %s`\" under %q", operationsDoc, name, flagsHeading)
			}
			out := mustHelp(t, strings.Fields(name)...)
			flags, envs := parseHelp(out)
			if n := strings.Count("\n"+out, "\n  -"); len(flags) != n {
				t.Fatalf("read %d flags from portico %s -h, which prints %d:\n%s", len(flags), name, n, out)
			}
			checkDocRows(t, name, rows, flags, envs)
		})
	}
	for name := range sections {
		if !slices.Contains(names, name) {
			t.Errorf("%s documents `portico %s`, which is not a command", operationsDoc, name)
		}
	}
}

// checkDocRows compares one command's table with its flags and the
// environment variables its help names.
func checkDocRows(t *testing.T, name string, rows []docRow, flags map[string]helpFlag, envs []string) {
	t.Helper()
	byFlag := map[string]docRow{}
	documentedEnv := map[string]bool{}
	for _, r := range rows {
		if r.env != "" {
			documentedEnv[r.env] = true
		}
		if r.flag == "" {
			continue
		}
		if _, dup := byFlag[r.flag]; dup {
			t.Errorf("`portico %s`: --%s has two rows", name, r.flag)
		}
		byFlag[r.flag] = r
		if _, ok := flags[r.flag]; !ok {
			t.Errorf("`portico %s`: the docs name --%s, which the command does not have", name, r.flag)
		}
	}
	for _, f := range sortedFlags(flags) {
		r, ok := byFlag[f.name]
		if !ok {
			t.Errorf("`portico %s`: --%s (env %q, default %q) has no row", name, f.name, f.env, f.def)
			continue
		}
		if r.env != f.env {
			t.Errorf("`portico %s`: --%s: docs say environment %q, want %q", name, f.name, r.env, f.env)
		}
		if f.def != "" && !strings.Contains(r.def, "`"+f.def+"`") {
			t.Errorf("`portico %s`: --%s: default cell %q, want it to show `%s`", name, f.name, r.def, f.def)
		}
	}
	for _, e := range envs {
		if !documentedEnv[e] {
			t.Errorf("`portico %s`: its help names %s, which has no row", name, e)
		}
	}
}

// mustHelp runs portico ARGS -h in process, with an empty environment,
// and returns what it printed.
func mustHelp(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(context.Background(), append(args, "-h"), mapEnv(nil), &stdout, &stderr)
	// explain parses its flags itself and answers -h with its usage and
	// 2; the others answer 0.
	if code != 0 && code != 2 {
		t.Fatalf("portico %s -h: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	out := stdout.String() + stderr.String()
	if strings.Contains(out, "unknown command") {
		t.Fatalf("portico %s -h: %s", strings.Join(args, " "), out)
	}
	return out
}

var (
	helpFlagLine = regexp.MustCompile(`^  -([a-z0-9-]+)(?: .+)?$`)
	helpEnv      = regexp.MustCompile(`\(env (PORTICO_[A-Z0-9_]+)\)`)
	helpVar      = regexp.MustCompile(`\bPORTICO_[A-Z0-9_]*[A-Z0-9]\b`)
)

// parseHelp reads the flags flag.PrintDefaults printed in out ("  -name
// type" then the usage on lines indented "    \t"), with the variable each
// names as "(env NAME)" and its default, and every PORTICO_ variable the
// text names outside the defaults (a default may look like one).
func parseHelp(out string) (map[string]helpFlag, []string) {
	flags := map[string]helpFlag{}
	var text strings.Builder // out without the flags' defaults
	var cur *helpFlag
	var usage strings.Builder
	finish := func() {
		if cur == nil {
			return
		}
		u := usage.String()
		if i := strings.LastIndex(u, " (default "); i >= 0 && strings.HasSuffix(u, ")") {
			d := u[i+len(" (default ") : len(u)-1]
			if s, err := strconv.Unquote(d); err == nil {
				d = s
			}
			cur.def, u = d, u[:i]
		}
		if m := helpEnv.FindStringSubmatch(u); m != nil {
			cur.env = m[1]
		}
		text.WriteString(u + "\n")
		flags[cur.name] = *cur
		cur = nil
		usage.Reset()
	}
	for _, line := range strings.Split(out, "\n") {
		switch m := helpFlagLine.FindStringSubmatch(line); {
		case m != nil:
			finish()
			cur = &helpFlag{name: m[1]}
		case cur != nil && strings.HasPrefix(line, "    \t"):
			if usage.Len() > 0 {
				usage.WriteByte(' ')
			}
			usage.WriteString(strings.TrimPrefix(line, "    \t"))
		default:
			finish()
			text.WriteString(line + "\n")
		}
	}
	finish()
	var envs []string
	for _, v := range helpVar.FindAllString(text.String(), -1) {
		if !slices.Contains(envs, v) {
			envs = append(envs, v)
		}
	}
	return flags, envs
}

func sortedFlags(m map[string]helpFlag) []helpFlag {
	out := make([]helpFlag, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b helpFlag) int { return strings.Compare(a.name, b.name) })
	return out
}

var docCommandHeading = regexp.MustCompile("^### `portico ([a-z][a-z-]*(?: [a-z][a-z-]*)?)`")

// mustDocTables reads the tables under flagsHeading in path, by command:
// rows of "| `--flag` | `PORTICO_VAR` | default | meaning |", where a flag
// or a variable may be "—" (a variable without a flag, a flag without a
// variable). A command without flags has a subsection and no table.
func mustDocTables(t *testing.T, path string) map[string][]docRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sections := map[string][]docRow{}
	in, cmd, lineNo := false, "", 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		lineNo++
		switch {
		case strings.HasPrefix(line, "## "):
			in, cmd = line == flagsHeading, ""
			continue
		case !in:
			continue
		case strings.HasPrefix(line, "### "):
			m := docCommandHeading.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("%s:%d: under %q, want headings \"### `portico NAME`\", got %q", path, lineNo, flagsHeading, line)
			}
			if _, dup := sections[m[1]]; dup {
				t.Errorf("%s:%d: `portico %s` has two subsections", path, lineNo, m[1])
			}
			cmd = m[1]
			sections[cmd] = nil
			continue
		case cmd == "" || !strings.HasPrefix(line, "|"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 4 {
			t.Fatalf("%s:%d: want 4 cells (flag, environment, default, meaning), got %d", path, lineNo, len(cells))
		}
		if cells[0] == "flag" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		r := docRow{def: cells[2]}
		if r.flag, err = docCell(cells[0], "--"); err != nil {
			t.Fatalf("%s:%d: flag: %v", path, lineNo, err)
		}
		if r.env, err = docCell(cells[1], "PORTICO_"); err != nil {
			t.Fatalf("%s:%d: environment: %v", path, lineNo, err)
		}
		if r.flag == "" && r.env == "" {
			t.Fatalf("%s:%d: a row needs a flag or a variable", path, lineNo)
		}
		sections[cmd] = append(sections[cmd], r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(sections) == 0 {
		t.Fatalf("%s has no %q section with command subsections", path, flagsHeading)
	}
	return sections
}

// docCell reads a cell holding one backquoted name that starts with
// prefix, or "—" for none; it returns the name without a "--" prefix.
func docCell(cell, prefix string) (string, error) {
	if cell == "—" {
		return "", nil
	}
	inner, opened := strings.CutPrefix(cell, "`")
	inner, closed := strings.CutSuffix(inner, "`")
	if !opened || !closed || !strings.HasPrefix(inner, prefix) || strings.ContainsAny(inner, "` ") {
		return "", fmt.Errorf("%q: want `%s...` or —", cell, prefix)
	}
	return strings.TrimPrefix(inner, "--"), nil
}
