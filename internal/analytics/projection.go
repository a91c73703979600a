package analytics

import "slices"

// Projection names a set of dimensions that hour and day rollups are also
// kept over, besides every combination of all six: a projection's rows
// add up every beacon whose kept dimensions have the row's values,
// whatever its others. A question that filters and groups on no dimension
// outside a projection is answered from the projection's few rows (a
// 30-day total reads 30 rows instead of one per combination of six
// dimensions), with the same sums, histograms and sketches as the full
// rollups give, since the projection's row merges exactly the full rows
// it stands for.
//
// The zero Projection is none: the full rollups, over all six dimensions.
type Projection uint8

// Projected levels: minute rollups answer only short spans and edges, so
// they are kept over all six dimensions alone.
var ProjectedLevels = []Level{LevelHour, LevelDay}

// projections are the dimension sets kept, Projection(i+1) for index i:
// the total, each dimension alone, and the integration with each other
// dimension (the dashboard's common filter). Order matters only for ties
// in Choose, and numbers are stored: append, never reorder.
var projections = [][]Dimension{
	{},
	{DimIntegration},
	{DimContent},
	{DimStreamType},
	{DimPlatform},
	{DimCountry},
	{DimISP},
	{DimIntegration, DimContent},
	{DimIntegration, DimStreamType},
	{DimIntegration, DimPlatform},
	{DimIntegration, DimCountry},
	{DimIntegration, DimISP},
	{DimStreamType, DimContent},
}

// Projections returns every projection kept, in storage order.
func Projections() []Projection {
	out := make([]Projection, len(projections))
	for i := range projections {
		out[i] = Projection(i + 1)
	}
	return out
}

// Dimensions returns the dimensions p keeps; nil for none (the full
// rollups keep all).
func (p Projection) Dimensions() []Dimension {
	if p == 0 || int(p) > len(projections) {
		return nil
	}
	return projections[p-1]
}

// Keeps reports whether p keeps dimension d; the full rollups keep every
// dimension.
func (p Projection) Keeps(d Dimension) bool {
	return p == 0 || slices.Contains(p.Dimensions(), d)
}

// ChooseProjection returns the projection with the fewest dimensions that
// keeps every dimension of dims, or 0 (the full rollups) when none does.
func ChooseProjection(dims []Dimension) Projection {
	var best Projection
	for _, p := range Projections() {
		ok := true
		for _, d := range dims {
			if !p.Keeps(d) {
				ok = false
				break
			}
		}
		if ok && (best == 0 || len(p.Dimensions()) < len(best.Dimensions())) {
			best = p
		}
	}
	return best
}

// Project returns k with the dimensions p does not keep emptied and p
// recorded.
func (p Projection) Project(k RollupKey) RollupKey {
	if p == 0 {
		return k
	}
	k.Projection = p
	if !p.Keeps(DimIntegration) {
		k.IntegrationID = ""
	}
	if !p.Keeps(DimContent) {
		k.ContentID = ""
	}
	if !p.Keeps(DimStreamType) {
		k.StreamType = ""
	}
	if !p.Keeps(DimPlatform) {
		k.Platform = ""
	}
	if !p.Keeps(DimCountry) {
		k.Country = ""
	}
	if !p.Keeps(DimISP) {
		k.ISP = ""
	}
	return k
}
