package analytics

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestSessionHash(t *testing.T) {
	a, b := NewSketch(), NewSketch()
	for i := range 5000 {
		id := fmt.Sprintf("session-%d", i)
		a.Insert([]byte(id))
		b.InsertHash(sessionHash(id))
	}
	ab, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	bb, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ab, bb) {
		t.Fatal("sessionHash differs from the hash Sketch.Insert takes: stored sketches would not merge")
	}
}

func TestChooseProjection(t *testing.T) {
	for _, tc := range []struct {
		dims []Dimension
		want []Dimension // nil: the full rollups
	}{
		{nil, []Dimension{}},
		{[]Dimension{DimCountry}, []Dimension{DimCountry}},
		{[]Dimension{DimCountry, DimCountry}, []Dimension{DimCountry}},
		{[]Dimension{DimCountry, DimIntegration}, []Dimension{DimIntegration, DimCountry}},
		{[]Dimension{DimContent, DimStreamType}, []Dimension{DimStreamType, DimContent}},
		{[]Dimension{DimCountry, DimISP}, nil},
		{[]Dimension{DimIntegration, DimCountry, DimPlatform}, nil},
	} {
		p := ChooseProjection(tc.dims)
		if tc.want == nil {
			if p != 0 {
				t.Errorf("ChooseProjection(%v) = %v, want the full rollups", tc.dims, p.Dimensions())
			}
			continue
		}
		if p == 0 || !slices.Equal(p.Dimensions(), tc.want) {
			t.Errorf("ChooseProjection(%v) = %d %v, want %v", tc.dims, p, p.Dimensions(), tc.want)
		}
	}
}

// TestProjectedRollupsMergeFullRows: a projection's row holds exactly
// what merging the full rows it stands for gives.
func TestProjectedRollupsMergeFullRows(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var beacons []Ingested
	for i := range 400 {
		b := Ingested{OrgID: "org_1", Beacon: Beacon{SessionID: fmt.Sprintf("s%d", i%97), Sequence: int64(i),
			Time: t0.Add(time.Duration(i) * 37 * time.Second), ContentID: fmt.Sprintf("c%d", i%5),
			StreamType: []StreamType{StreamLive, StreamVOD}[i%2], Platform: []Platform{PlatformWeb, PlatformAndroid, PlatformIOS}[i%3],
			Country: []string{"FR", "DE", "US", ""}[i%4], ISP: fmt.Sprintf("isp%d", i%3),
			CDNBytes: int64(i * 1000), P2PBytes: int64(i * 300), PlayedMS: 10000, BufferedMS: int64(i % 7), StartupMS: -1}}
		b.IntegrationID = fmt.Sprintf("int_%d", i%2)
		if i%11 == 0 {
			b.StartupMS = int64(i * 13)
		}
		if i%13 == 0 {
			b.ErrorCode = "E1"
		}
		beacons = append(beacons, b)
	}
	for _, l := range ProjectedLevels {
		full := Rollups(l, beacons)
		projected := projectedByBeacon(l, beacons)
		viaFull, err := ProjectedRollups(l, beacons)
		if err != nil {
			t.Fatal(err)
		}
		if len(viaFull) != len(projected) {
			t.Fatalf("%s: %d projected rows from the full rows, %d from the beacons", l, len(viaFull), len(projected))
		}
		for i := range viaFull {
			a, b := &viaFull[i], &projected[i]
			if a.Key != b.Key || a.Sums != b.Sums || a.Startup != b.Startup ||
				a.Sessions.Estimate() != b.Sessions.Estimate() || estimateOf(a.ErrorSessions) != estimateOf(b.ErrorSessions) {
				t.Fatalf("%s: projected row %+v differs from the beacons' own", l, a.Key)
			}
		}
		if !slices.IsSortedFunc(projected, func(a, b Rollup) int { return a.Key.Compare(&b.Key) }) {
			t.Fatal("projected rollups are not sorted by key")
		}
		for _, p := range Projections() {
			want := map[RollupKey]*Rollup{}
			for i := range full {
				k := p.Project(full[i].Key)
				w := want[k]
				if w == nil {
					w = &Rollup{Key: k, Sessions: NewSketch(), ErrorSessions: NewSketch()}
					want[k] = w
				}
				w.Sums.Add(&full[i].Sums)
				w.Startup.Add(&full[i].Startup)
				if err := w.Sessions.Merge(full[i].Sessions); err != nil {
					t.Fatal(err)
				}
				if err := w.ErrorSessions.Merge(full[i].ErrorSessions); err != nil { // Merge(nil) merges nothing
					t.Fatal(err)
				}
			}
			got := 0
			for i := range projected {
				r := &projected[i]
				if r.Key.Projection != p {
					continue
				}
				got++
				w := want[r.Key]
				if w == nil {
					t.Fatalf("%s projection %v: row %+v stands for no full row", l, p.Dimensions(), r.Key)
				}
				if r.Sums != w.Sums || r.Startup != w.Startup ||
					r.Sessions.Estimate() != w.Sessions.Estimate() || estimateOf(r.ErrorSessions) != estimateOf(w.ErrorSessions) {
					t.Fatalf("%s projection %v row %+v differs from its full rows merged", l, p.Dimensions(), r.Key)
				}
			}
			if got != len(want) {
				t.Fatalf("%s projection %v: %d rows, want %d", l, p.Dimensions(), got, len(want))
			}
		}
	}
}

// projectedByBeacon computes every projection's rows straight from the
// beacons, the plainest way.
func projectedByBeacon(l Level, beacons []Ingested) []Rollup {
	idx := map[RollupKey]int{}
	var out []Rollup
	for i := range beacons {
		b := &beacons[i]
		full := RollupKey{OrgID: b.OrgID, Bucket: l.Bucket(b.Time), IntegrationID: b.IntegrationID,
			ContentID: b.ContentID, StreamType: b.StreamType, Platform: b.Platform, Country: b.Country, ISP: b.ISP}
		for _, p := range Projections() {
			k := p.Project(full)
			j, ok := idx[k]
			if !ok {
				j = len(out)
				idx[k] = j
				out = append(out, Rollup{Key: k, Sessions: NewSketch(), ErrorSessions: NewSketch()})
			}
			r := &out[j]
			r.Sums.AddBeacon(&b.Beacon)
			if b.StartupMS >= 0 {
				r.Startup[StartupBucket(b.StartupMS)]++
			}
			r.Sessions.Insert([]byte(b.SessionID))
			if b.ErrorCode != "" {
				r.ErrorSessions.Insert([]byte(b.SessionID))
			}
		}
	}
	slices.SortFunc(out, func(a, b Rollup) int { return a.Key.Compare(&b.Key) })
	return out
}
