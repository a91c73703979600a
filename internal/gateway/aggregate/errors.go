package aggregate

import (
	"strconv"
	"strings"
)

// FieldError is one problem Compile found: where (the step and its field)
// and what.
type FieldError struct {
	// Step is the index of the step in PlanSpec.Steps; -1 for the plan.
	Step int
	// StepName is the step's name as written; empty for the plan.
	StepName string
	// Field names the spec field, with a key or index when it has one:
	// "path", "query.limit", "allow[2]", "body.ids[0]".
	Field string
	// Err says what is wrong.
	Err error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.Step < 0:
		b.WriteString("plan")
	case e.StepName != "":
		b.WriteString("step ")
		b.WriteString(strconv.Quote(e.StepName))
	default:
		b.WriteString("step #")
		b.WriteString(strconv.Itoa(e.Step + 1))
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// CompileErrors is every problem Compile found in a spec, in spec order.
type CompileErrors []*FieldError

// Error lists the problems one per line.
func (es CompileErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (es CompileErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
