package router

// Params holds the parameters of a matched route as name/value pairs, in
// the order of the route template's Params. It has a fixed capacity of
// MaxParams pairs and is meant to be reused (for example from a sync.Pool):
// Router.Match resets it. The zero value is empty and ready to use.
//
// A {name} value is the decoded segment ("a%20b" gives "a b"); a wildcard
// {name...} value is the escaped, normalised remainder of the path
// ("a/b%20c"), to be reused upstream as it is.
type Params struct {
	n      int
	names  [MaxParams]string
	values [MaxParams]string
}

// Len returns the number of pairs.
func (p *Params) Len() int { return p.n }

// Name returns the i'th name.
func (p *Params) Name(i int) string { return p.names[:p.n][i] }

// Value returns the i'th value.
func (p *Params) Value(i int) string { return p.values[:p.n][i] }

// Get returns the value of the named parameter, or "" if there is none.
func (p *Params) Get(name string) string {
	for i := 0; i < p.n; i++ {
		if p.names[i] == name {
			return p.values[i]
		}
	}
	return ""
}

// Lookup returns the value of the named parameter and whether it is set.
func (p *Params) Lookup(name string) (string, bool) {
	for i := 0; i < p.n; i++ {
		if p.names[i] == name {
			return p.values[i], true
		}
	}
	return "", false
}

// Add appends a pair; it reports false, adding nothing, when p is full.
func (p *Params) Add(name, value string) bool {
	if p.n == MaxParams {
		return false
	}
	p.names[p.n], p.values[p.n] = name, value
	p.n++
	return true
}

// Reset empties p, dropping its references to strings.
func (p *Params) Reset() {
	clear(p.names[:p.n])
	clear(p.values[:]) // Match uses values beyond n as scratch while backtracking
	p.n = 0
}
