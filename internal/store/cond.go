package store

import "time"

// Field names an audit-event attribute a condition can test. The names are
// the audit keys of the query DSL (seed spec §1.3.1), so a query compiles to
// a condition without renaming.
type Field string

// The audit keys. Backends index some of them as columns; the rest are
// tested against the decoded event body (see Residual).
const (
	FieldAPIVersion               Field = "apiVersion"
	FieldAuditID                  Field = "auditID"
	FieldKind                     Field = "kind"
	FieldLevel                    Field = "level"
	FieldName                     Field = "name"
	FieldObjectAPIGroup           Field = "objectRef.apiGroup"
	FieldObjectAPIVersion         Field = "objectRef.apiVersion"
	FieldObjectName               Field = "objectRef.name"
	FieldObjectResource           Field = "objectRef.resource"
	FieldObjectNamespace          Field = "objectRef.namespace"
	FieldRequestReceivedTimestamp Field = "requestReceivedTimestamp"
	FieldRequestURI               Field = "requestURI"
	FieldResponseAPIVersion       Field = "responseObject.apiVersion"
	FieldResponseKind             Field = "responseObject.kind"
	FieldResponseCode             Field = "responseStatus.code"
	FieldSourceIPs                Field = "sourceIPs"
	FieldStage                    Field = "stage"
	FieldStageTimestamp           Field = "stageTimestamp"
	FieldTimestamp                Field = "timestamp"
	FieldUserGroups               Field = "user.groups"
	FieldUsername                 Field = "user.username"
	FieldVerb                     Field = "verb"
)

// Op is a comparison operator.
type Op int

// The comparison operators of the DSL.
const (
	OpEq Op = iota
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
)

func (o Op) String() string {
	return [...]string{"=", "!=", "<", "<=", ">", ">="}[o]
}

// Cond is a boolean condition over audit events: one of And, Or, Not, Cmp
// or In. The zero condition (nil) matches every event.
type Cond interface{ isCond() }

// And holds when every member holds (an empty And is true).
type And []Cond

// Or holds when any member holds (an empty Or is false).
type Or []Cond

// Not negates its condition.
type Not struct{ C Cond }

// Cmp compares a field with a value. Value is a string for text fields, an
// int64 for responseStatus.code, a time.Time for the timestamp fields and a
// netip.Prefix for sourceIPs (equality means "an address of the event lies in
// the prefix"). For list-valued fields (user.groups, sourceIPs) the
// comparison holds when it holds for any element; != holds when = does not.
type Cmp struct {
	Field Field
	Op    Op
	Value any
}

// In holds when the field's value matches any of the patterns; with Negate
// it holds when it matches none. Patterns may use * (any run of characters)
// and ? (any one character).
type In struct {
	Field    Field
	Patterns []string
	Negate   bool
}

func (And) isCond() {}
func (Or) isCond()  {}
func (Not) isCond() {}
func (Cmp) isCond() {}
func (In) isCond()  {}

// TimeValue reports the time a Cmp on a timestamp field carries.
func TimeValue(c Cmp) (time.Time, bool) {
	t, ok := c.Value.(time.Time)
	return t, ok
}
