package report

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ErrMalformedID is returned (wrapped) by ParseReportID.
var ErrMalformedID = errors.New("malformed report id")

// ReportID returns the identity of the report name of type typeName over
// [start, end]:
//
//	<name>_<typeName>_<UUIDv5(URL namespace, "<name>::<start>::<end>")>
//
// with the times in RFC 3339, UTC. It is deterministic, so running a
// report again over the same interval replaces the stored one. Report and
// report type names cannot contain "_", which keeps the id parseable.
func ReportID(name, typeName string, start, end time.Time) string {
	key := name + "::" + start.UTC().Format(time.RFC3339) + "::" + end.UTC().Format(time.RFC3339)
	return name + "_" + typeName + "_" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(key)).String()
}

// ParseReportID returns the report and report type names of an id made by
// ReportID. It fails unless the id has exactly three non-empty parts
// separated by "_", the last a UUID.
func ParseReportID(id string) (name, typeName string, err error) {
	parts := strings.Split(id, "_")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", "", fmt.Errorf("%w: %q", ErrMalformedID, id)
	}
	if _, err := uuid.Parse(parts[2]); err != nil || len(parts[2]) != 36 {
		return "", "", fmt.Errorf("%w: %q: bad UUID", ErrMalformedID, id)
	}
	return parts[0], parts[1], nil
}

// fileTimeLayout is the time format of download file names.
const fileTimeLayout = "20060102150405"

// FileName is the name of one downloaded file of a report:
// <type>_<name>_<start>-<end>-<format>, the times as YYYYMMDDhhmmss in
// UTC, such as
// inventory_weekly-full-inventory_20240101000000-20240108000000-summary.csv.
func FileName(typeName, name string, start, end time.Time, format string) string {
	return fileStem(typeName, name, start, end) + "-" + format
}

// ZipName is the name of the archive of several downloads of a report:
// <type>_<name>_<start>-<end>.zip.
func ZipName(typeName, name string, start, end time.Time) string {
	return fileStem(typeName, name, start, end) + ".zip"
}

func fileStem(typeName, name string, start, end time.Time) string {
	return typeName + "_" + name + "_" + start.UTC().Format(fileTimeLayout) + "-" + end.UTC().Format(fileTimeLayout)
}
