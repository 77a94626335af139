package v1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxJSONDepth bounds the nesting of JSON input.
const maxJSONDepth = 1000

// jsonReader turns a stream of JSON values into YAML nodes that carry line
// numbers, so that JSON and YAML manifests share one decoder.
type jsonReader struct {
	dec      *json.Decoder
	newlines []int // offsets of the '\n' bytes of the input
}

// readJSONDocuments parses a stream of JSON values, one document each.
func readJSONDocuments(name string, data []byte) ([]document, error) {
	r := &jsonReader{dec: json.NewDecoder(bytes.NewReader(data))}
	r.dec.UseNumber()
	for i, c := range data {
		if c == '\n' {
			r.newlines = append(r.newlines, i)
		}
	}
	var docs []document
	for n := 1; ; n++ {
		tok, err := r.dec.Token()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		var node *yaml.Node
		if err == nil {
			node, err = r.value(tok, 0)
		}
		if err != nil {
			return nil, r.syntaxError(name, n, err)
		}
		if !isNull(node) {
			docs = append(docs, document{index: n, node: node})
		}
	}
}

// line returns the 1-based line of a byte offset.
func (r *jsonReader) line(offset int64) int {
	return 1 + sort.SearchInts(r.newlines, int(offset))
}

// syntaxError turns a JSON decoding error into a *DecodeError.
func (r *jsonReader) syntaxError(name string, doc int, err error) error {
	offset := r.dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		offset = se.Offset
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		msg = "unexpected end of input"
	}
	return &DecodeError{File: name, Document: doc, Line: r.line(offset), Msg: "invalid JSON: " + msg}
}

// value builds the node of the value that starts with tok.
func (r *jsonReader) value(tok json.Token, depth int) (*yaml.Node, error) {
	line := r.line(r.dec.InputOffset() - 1)
	switch v := tok.(type) {
	case json.Delim:
		if depth >= maxJSONDepth {
			return nil, fmt.Errorf("nesting deeper than %d levels", maxJSONDepth)
		}
		if v == '{' {
			return r.object(line, depth)
		}
		return r.array(line, depth)
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: v, Line: line}, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(v), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(v), Line: line}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v), Line: line}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: line}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// object reads the members of an object whose '{' has been read.
func (r *jsonReader) object(line, depth int) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Line: line}
	for r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return nil, err
		}
		key, err := r.value(tok, depth+1)
		if err != nil {
			return nil, err
		}
		if tok, err = r.dec.Token(); err != nil {
			return nil, err
		}
		val, err := r.value(tok, depth+1)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, key, val)
	}
	_, err := r.dec.Token() // '}'
	return n, err
}

// array reads the elements of an array whose '[' has been read.
func (r *jsonReader) array(line, depth int) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Line: line}
	for r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return nil, err
		}
		val, err := r.value(tok, depth+1)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, val)
	}
	_, err := r.dec.Token() // ']'
	return n, err
}
