package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"text/template"
	"text/template/parse"
	"time"
)

// Limits of one rendering. A template that goes past them fails with an
// error instead of exhausting the process.
const (
	// MaxOutputBytes bounds the text one template renders, and any string
	// a template function returns.
	MaxOutputBytes = 64 << 20
	// MaxCollectionLen bounds the length of a list or map a template
	// function returns (such as until or concat).
	MaxCollectionLen = 1 << 20
	// RenderTimeout bounds the time one rendering takes.
	RenderTimeout = 2 * time.Minute
	// maxColumns bounds the columns of one CSV builder.
	maxColumns = 1024
)

// ErrOutputTooLarge is returned (wrapped) when a rendering exceeds
// MaxOutputBytes or MaxCollectionLen.
var ErrOutputTooLarge = errors.New("template output exceeds the size limit")

// checkName is the function the renderer calls at the start of every
// template body and every range iteration to stop a rendering that has run
// out of time. It prints nothing.
const checkName = "evidentRenderCheck"

// Render executes tmpl, Go text/template source, against data with the
// report function set (see the package documentation). It fails when the
// template does not parse, fails to execute or panics, or exceeds
// MaxOutputBytes or RenderTimeout.
func Render(tmpl string, data *ReportData) (string, error) {
	return RenderContext(context.Background(), tmpl, data)
}

// RenderContext is Render stopped early when ctx ends.
func RenderContext(ctx context.Context, tmpl string, data *ReportData) (string, error) {
	return renderNamed(ctx, "report", tmpl, data)
}

// renderNamed renders with name as the template name that errors show.
func renderNamed(ctx context.Context, name, tmpl string, data *ReportData) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, RenderTimeout)
	defer cancel()
	r := newRenderer(ctx, data)
	t, err := r.parse(name, tmpl)
	if err != nil {
		return "", err
	}
	return r.execute(t, r.data)
}

// renderer holds the state of one rendering: its deadline, its data (for
// the functions that read the whole report) and its function map.
type renderer struct {
	ctx   context.Context
	data  *ReportData
	funcs template.FuncMap
	flows *flowIndex // built on first use
}

func newRenderer(ctx context.Context, data *ReportData) *renderer {
	if data == nil {
		data = &ReportData{}
	}
	r := &renderer{ctx: ctx, data: data}
	r.funcs = r.funcMap()
	return r
}

// parse parses text as a template named name, with the renderer's
// functions, and instruments it with time checks.
func (r *renderer) parse(name, text string) (*template.Template, error) {
	t, err := template.New(name).Funcs(r.funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil && tt.Tree.Root != nil {
			instrument(tt.Tree.Root)
		}
	}
	return t, nil
}

// execute runs t with dot as its data, recovering any panic.
func (r *renderer) execute(t *template.Template, dot any) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("execute template %s: panic: %v", t.Name(), p)
		}
	}()
	if err := r.ctx.Err(); err != nil {
		return "", fmt.Errorf("execute template %s: %w", t.Name(), err)
	}
	w := &limitedBuffer{max: MaxOutputBytes}
	if err := t.Execute(w, dot); err != nil {
		return "", fmt.Errorf("execute template: %w", err)
	}
	return w.String(), nil
}

// check is the function behind checkName.
func (r *renderer) check() (string, error) {
	if err := r.ctx.Err(); err != nil {
		return "", fmt.Errorf("render stopped: %w", err)
	}
	return "", nil
}

// instrument puts a call of checkName at the start of list and of every
// range body within it, so that loops and recursion notice the deadline
// even when they call no function and print nothing.
func instrument(list *parse.ListNode) {
	list.Nodes = append([]parse.Node{checkAction(list.Pos, 0)}, list.Nodes...)
	walk(list)
}

func walk(list *parse.ListNode) {
	if list == nil {
		return
	}
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.RangeNode:
			body := n.List
			body.Nodes = append([]parse.Node{checkAction(n.Pos, n.Line)}, body.Nodes...)
			walk(body)
			walk(n.ElseList)
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.ListNode:
			walk(n)
		}
	}
}

// checkAction builds the action {{evidentRenderCheck}} at pos.
func checkAction(pos parse.Pos, line int) *parse.ActionNode {
	ident := &parse.IdentifierNode{NodeType: parse.NodeIdentifier, Pos: pos, Ident: checkName}
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{ident}}
	pipe := &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Line: line, Cmds: []*parse.CommandNode{cmd}}
	return &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Line: line, Pipe: pipe}
}

// limitedBuffer is a bytes.Buffer that refuses to grow past max bytes.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, fmt.Errorf("%w (%d bytes)", ErrOutputTooLarge, b.max)
	}
	return b.Buffer.Write(p)
}

func (b *limitedBuffer) WriteString(s string) (int, error) {
	if b.Len()+len(s) > b.max {
		return 0, fmt.Errorf("%w (%d bytes)", ErrOutputTooLarge, b.max)
	}
	return b.Buffer.WriteString(s)
}

// guard wraps a template function so that it refuses to run once the
// rendering's time is up and fails when its result is larger than the
// limits allow. The failures are panics, which text/template turns into
// errors naming the function.
func (r *renderer) guard(fn any) any {
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func {
		return fn
	}
	variadic := t.IsVariadic()
	return reflect.MakeFunc(t, func(args []reflect.Value) []reflect.Value {
		if err := r.ctx.Err(); err != nil {
			panic(fmt.Errorf("render stopped: %w", err))
		}
		if err := checkArgs(args); err != nil {
			panic(err)
		}
		var out []reflect.Value
		if variadic {
			out = v.CallSlice(args)
		} else {
			out = v.Call(args)
		}
		if len(out) > 0 {
			if err := checkSize(out[0]); err != nil {
				panic(err)
			}
		}
		return out
	}).Interface()
}

// checkArgs fails when the string arguments of a call (including those in
// a variadic list) add up to more than MaxOutputBytes, before the call
// builds an even larger result from them.
func checkArgs(args []reflect.Value) error {
	total := 0
	var add func(v reflect.Value)
	add = func(v reflect.Value) {
		if v.Kind() == reflect.Interface && !v.IsNil() {
			v = v.Elem()
		}
		switch v.Kind() {
		case reflect.String:
			total += v.Len()
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.String || v.Type().Elem().Kind() == reflect.Interface {
				for i := range min(v.Len(), 64) {
					add(v.Index(i))
				}
			}
		}
	}
	for _, a := range args {
		add(a)
	}
	if total > MaxOutputBytes {
		return fmt.Errorf("%w: arguments of %d bytes", ErrOutputTooLarge, total)
	}
	return nil
}

// checkSize fails for a string longer than MaxOutputBytes or a list or
// map longer than MaxCollectionLen.
func checkSize(v reflect.Value) error {
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		if v.Len() > MaxOutputBytes {
			return fmt.Errorf("%w: a string of %d bytes", ErrOutputTooLarge, v.Len())
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() > MaxOutputBytes {
				return fmt.Errorf("%w: %d bytes", ErrOutputTooLarge, v.Len())
			}
		} else if v.Len() > MaxCollectionLen {
			return fmt.Errorf("%w: a list of %d elements", ErrOutputTooLarge, v.Len())
		}
	}
	return nil
}
