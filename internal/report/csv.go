package report

import (
	"fmt"
	"reflect"
	"strings"
	"text/template"
)

// CSVBuilder builds a CSV document in a template:
//
//	{{ $c := csv }}
//	{{ $c.AddColumn "endpoint" "{{ .Endpoint }}" }}
//	{{ $c.AddColumn "ingressProtected" "{{ .IngressProtected }}" }}
//	{{ $c.Render .Endpoints }}
//
// Each column has a heading and a cell template, executed with the row as
// its data and the same functions as the enclosing template. Headings and
// cells are encoded with CSVField.
type CSVBuilder struct {
	r        *renderer
	headings []string
	cells    []*template.Template
}

func (r *renderer) newCSV() *CSVBuilder { return &CSVBuilder{r: r} }

// AddColumn adds a column with the given heading, whose cells text renders.
// It prints nothing.
func (c *CSVBuilder) AddColumn(heading, text string) (string, error) {
	if len(c.headings) >= maxColumns {
		return "", fmt.Errorf("csv: more than %d columns", maxColumns)
	}
	t, err := c.r.parse(heading, text)
	if err != nil {
		return "", fmt.Errorf("csv column %q: %w", heading, err)
	}
	c.headings = append(c.headings, heading)
	c.cells = append(c.cells, t)
	return "", nil
}

// Render returns the CSV text for rows. When rows is a slice or an array
// the result is the heading line and one line per element, each ending
// with a newline. Otherwise rows is one record: the heading line, a
// newline, and its line without a final newline.
func (c *CSVBuilder) Render(rows any) (string, error) {
	b := &limitedBuffer{max: MaxOutputBytes}
	if err := c.writeLine(b, c.headings); err != nil {
		return "", err
	}
	v := reflect.ValueOf(rows)
	for v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() != reflect.Struct {
		v = v.Elem()
	}
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		if _, err := b.WriteString("\n"); err != nil {
			return "", err
		}
		if err := c.writeRecord(b, rows, 0); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	if _, err := b.WriteString("\n"); err != nil {
		return "", err
	}
	for i := range v.Len() {
		if err := c.writeRecord(b, v.Index(i).Interface(), i); err != nil {
			return "", err
		}
		if _, err := b.WriteString("\n"); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// writeRecord renders the cells of one row.
func (c *CSVBuilder) writeRecord(b *limitedBuffer, row any, i int) error {
	if _, err := c.r.check(); err != nil {
		return err
	}
	cells := make([]string, len(c.cells))
	for j, t := range c.cells {
		s, err := c.r.execute(t, row)
		if err != nil {
			return fmt.Errorf("csv row %d, column %q: %w", i+1, c.headings[j], err)
		}
		cells[j] = s
	}
	return c.writeLine(b, cells)
}

func (c *CSVBuilder) writeLine(b *limitedBuffer, fields []string) error {
	for i, f := range fields {
		if i > 0 {
			if _, err := b.WriteString(","); err != nil {
				return err
			}
		}
		if _, err := b.WriteString(CSVField(f)); err != nil {
			return err
		}
	}
	return nil
}

// CSVField encodes one CSV field so that it reads back as s and a
// spreadsheet does not run it as a formula:
//
//  1. A field that begins with =, +, -, @, a tab or a carriage return gets
//     a leading apostrophe ('=1+2), unless the whole field is a plain
//     decimal number: an optional sign, digits with an optional fraction,
//     and an optional exponent (-1, +2.5, -3e4 stay as they are).
//  2. A field that then contains a comma, a double quote, a carriage
//     return or a line feed is wrapped in double quotes, and each double
//     quote inside is doubled (RFC 4180).
//
// Any other field is written as it is. Templates can call it as csvCell.
func CSVField(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 && !isPlainNumber(s) {
		s = "'" + s
	}
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// isPlainNumber reports whether s is [+-]digits[.digits][(e|E)[+-]digits],
// with digits on at least one side of the point.
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
