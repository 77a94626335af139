package report

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestReportID(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)
	got := ReportID("weekly-full-inventory", "inventory", start, end)

	// Computed independently: UUID version 5 (SHA-1) in the URL namespace of
	// "<name>::<start>::<end>".
	u := uuid.NewSHA1(uuid.NameSpaceURL, []byte("weekly-full-inventory::2024-01-01T00:00:00Z::2024-01-08T00:00:00Z"))
	if want := "weekly-full-inventory_inventory_" + u.String(); got != want {
		t.Errorf("ReportID = %q, want %q", got, want)
	}
	// Pinned (also computed with Python's uuid.uuid5) so that a change of
	// derivation is noticed: stored reports are found by their id.
	if want := "weekly-full-inventory_inventory_8b368b5a-64a7-54b0-a8a2-8a714dec3e82"; got != want {
		t.Errorf("ReportID = %q, want the pinned %q", got, want)
	}
	if u.Version() != 5 || u.Variant() != uuid.RFC4122 {
		t.Errorf("uuid version %d variant %v", u.Version(), u.Variant())
	}
	// The zone of the times does not matter; the instant does.
	zone := time.FixedZone("CET", 3600)
	if other := ReportID("weekly-full-inventory", "inventory", start.In(zone), end.In(zone)); other != got {
		t.Errorf("ReportID depends on the time zone: %q", other)
	}
	// The type is not part of the UUID.
	if other := ReportID("weekly-full-inventory", "network-access", start, end); other[len(other)-36:] != got[len(got)-36:] {
		t.Errorf("the type changed the UUID: %q", other)
	}
	if other := ReportID("weekly-full-inventory", "inventory", start, end.Add(time.Second)); other == got {
		t.Error("a different interval gave the same id")
	}
}

func TestParseReportID(t *testing.T) {
	id := ReportID("daily", "policy-audit", time.Unix(0, 0), time.Unix(86400, 0))
	name, typ, err := ParseReportID(id)
	if err != nil || name != "daily" || typ != "policy-audit" {
		t.Errorf("ParseReportID(%q) = %q, %q, %v", id, name, typ, err)
	}
	for _, bad := range []string{
		"",
		"daily",
		"daily_policy-audit",
		"daily_policy-audit_",
		"_policy-audit_3b4b1e41-28b4-5bc0-94ee-57e6e1ec4c20",
		"daily__3b4b1e41-28b4-5bc0-94ee-57e6e1ec4c20",
		"daily_policy_audit_3b4b1e41-28b4-5bc0-94ee-57e6e1ec4c20",
		"daily_policy-audit_not-a-uuid",
		"daily_policy-audit_3b4b1e4128b45bc094ee57e6e1ec4c20",
		"daily_policy-audit_{3b4b1e41-28b4-5bc0-94ee-57e6e1ec4c20}",
	} {
		if _, _, err := ParseReportID(bad); !errors.Is(err, ErrMalformedID) {
			t.Errorf("ParseReportID(%q) error %v, want ErrMalformedID", bad, err)
		}
	}
}

func TestFileNames(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)
	if got, want := FileName("inventory", "weekly-full-inventory", start, end, "summary.csv"),
		"inventory_weekly-full-inventory_20240101000000-20240108000000-summary.csv"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
	if got, want := ZipName("inventory", "weekly-full-inventory", start, end),
		"inventory_weekly-full-inventory_20240101000000-20240108000000.zip"; got != want {
		t.Errorf("ZipName = %q, want %q", got, want)
	}
	la := time.FixedZone("PST", -8*3600)
	if got, want := FileName("t", "n", time.Date(2024, 2, 29, 16, 5, 9, 0, la), end, "f"),
		"t_n_20240301000509-20240108000000-f"; got != want {
		t.Errorf("FileName in another zone = %q, want %q", got, want)
	}
}
