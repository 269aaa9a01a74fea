package badges

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// exportWith is an export of one badge whose manifest lists cols (with
// names only when there are very many, tersely as a hostile manifest would,
// to fit an archive's files).
func exportWith(t *testing.T, cols []ManifestCollection) []byte {
	t.Helper()
	terse := len(cols) > 10*MaxImportedCollections
	m := Manifest{Format: ExportFormat, Version: ExportVersion,
		Badges: []ManifestBadge{{ID: "b1", Original: "badges/b1/original.json", OriginalType: "json"}}, Collections: cols}
	if terse {
		m.Collections = []ManifestCollection{}
	}
	b, _ := json.Marshal(m)
	manifest := string(b)
	if terse {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = fmt.Sprintf(`{"name":%q}`, c.Name)
		}
		manifest = strings.Replace(manifest, `"collections":[]`, `"collections":[`+strings.Join(names, ",")+`]`, 1)
	}
	return zipOf(t, [2]string{"manifest.json", manifest}, [2]string{"badges/b1/original.json", "{}"})
}

// TestImportedCollectionsKeepTheLimits: an export's collections are held to
// what the owner could make by hand; past that, the whole archive is
// refused, naming the collection, and nothing is imported. The issue's own
// case: 100,001 collections.
func TestImportedCollectionsKeepTheLimits(t *testing.T) {
	w := newWorld(t)
	w.svc.archives = newUserRate(Rate{Burst: -1})
	ctx := context.Background()
	alice := w.user(t, "alice@example.org")
	many := make([]ManifestCollection, 100_001)
	for i := range many {
		many[i] = ManifestCollection{Name: fmt.Sprintf("c%d", i)}
	}
	long := strings.Repeat("é", MaxCollectionName+1)
	for _, c := range []struct {
		name string
		cols []ManifestCollection
		want Refusal
	}{
		{"100,001 collections", many, Refusal{Code: CodeTooManyCollections, N: 100_001, Max: MaxImportedCollections}},
		{"one too many", many[:MaxImportedCollections+1], Refusal{Code: CodeTooManyCollections, N: MaxImportedCollections + 1, Max: MaxImportedCollections}},
		{"no name", []ManifestCollection{{Name: "A"}, {Name: "  "}}, Refusal{Code: CodeCollectionUnnamed, N: 2}},
		{"long name", []ManifestCollection{{Name: long}},
			Refusal{Code: CodeCollectionNameTooLong, Detail: strings.Repeat("é", 59) + "…", N: MaxCollectionName + 1, Max: MaxCollectionName}},
		{"long description", []ManifestCollection{{Name: "D", Description: strings.Repeat("x", MaxCollectionDescription+1)}},
			Refusal{Code: CodeCollectionDescriptionTooLong, Detail: "D", N: MaxCollectionDescription + 1, Max: MaxCollectionDescription}},
		{"more badges than the export", []ManifestCollection{{Name: "B", Badges: []string{"b1", "b1"}}},
			Refusal{Code: CodeCollectionTooManyBadges, Detail: "B", N: 2, Max: 1}},
	} {
		_, err := w.start(t, alice, c.name+".zip", exportWith(t, c.cols))
		var r *Refusal
		if !errors.As(err, &r) || *r != c.want {
			t.Errorf("%s: %v, want %+v", c.name, err, c.want)
		}
	}
	if jobs, _ := w.db.ImportJobs(ctx, alice); len(jobs) != 0 {
		t.Fatalf("refused exports left %d jobs", len(jobs))
	}

	// At the limits: accepted, and made as by hand (names trimmed).
	at := append([]ManifestCollection{{Name: " " + long[2:] + " ", Description: strings.Repeat("x", MaxCollectionDescription), Badges: []string{"b1"}}},
		many[:MaxImportedCollections-1]...)
	if _, err := w.start(t, alice, "at the limits.zip", exportWith(t, at)); err != nil {
		t.Fatalf("at the limits: %v", err)
	}
	w.runJobs(t)
	cols, _ := w.db.Collections(ctx, alice)
	if len(cols) != MaxImportedCollections {
		t.Fatalf("%d collections made, want %d", len(cols), MaxImportedCollections)
	}
	for _, c := range cols {
		if !strings.HasPrefix(c.Name, "c") && (c.Name != long[2:] || len(c.Description) != MaxCollectionDescription) {
			t.Fatalf("collection %q (%d bytes of description)", c.Name, len(c.Description))
		}
	}
}

// TestImportedCollectionEntries: the badges of an export's collections
// together are bounded, a collection holds each of the export's badges at
// most once.
func TestImportedCollectionEntries(t *testing.T) {
	ids := make([]string, MaxJobItems)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	cols := make([]ManifestCollection, MaxImportedEntries/MaxJobItems)
	for i := range cols {
		cols[i] = ManifestCollection{Name: fmt.Sprint(i), Badges: ids}
	}
	if err := checkCollections(cols, MaxJobItems); err != nil {
		t.Fatalf("every badge in %d collections: %v", len(cols), err)
	}
	cols = append(cols, ManifestCollection{Name: "one more", Badges: ids[:1]})
	var r *Refusal
	if err := checkCollections(cols, MaxJobItems); !errors.As(err, &r) ||
		*r != (Refusal{Code: CodeTooManyCollectionEntries, N: MaxImportedEntries + 1, Max: MaxImportedEntries}) {
		t.Fatalf("one entry more: %v", err)
	}
}
