package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/registry"
	"github.com/evident-dev/evident/internal/report"
	"github.com/evident-dev/evident/internal/store"
)

// resourceKinds maps the configuration resources to their kinds.
var resourceKinds = map[string]string{
	"globalreports":     v1.KindGlobalReport,
	"globalreporttypes": v1.KindGlobalReportType,
	"globalalerts":      v1.KindGlobalAlert,
}

// ObjectList is the answer of GET /api/v1/<resource>.
type ObjectList struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Items      []v1.Object    `json:"items"`
}

// PutResult is the answer of PUT /api/v1/<resource>/<name>.
type PutResult struct {
	Outcome registry.Outcome `json:"outcome"`
	Object  v1.Object        `json:"object"`
}

// DeleteResult is the answer of DELETE /api/v1/<resource>/<name>.
type DeleteResult struct {
	Outcome string `json:"outcome"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
}

func notFound(plural, name string) *apiError {
	return errorf(http.StatusNotFound, "%s %q not found", plural, name)
}

func (s *Server) resourceList(plural, kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		if err := s.require(ctx, "list", plural, ""); err != nil {
			return err
		}
		objs, err := s.opts.Registry.List(ctx, kind)
		if err != nil {
			return storeError(err)
		}
		if objs == nil {
			objs = []v1.Object{}
		}
		writeJSON(w, http.StatusOK, ObjectList{APIVersion: v1.GroupVersion.String(), Kind: kind + "List",
			Metadata: map[string]any{}, Items: objs})
		return nil
	}
}

func (s *Server) resourceGet(plural, kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		name := r.PathValue("name")
		if err := s.require(ctx, "get", plural, name); err != nil {
			return err
		}
		obj, err := s.opts.Registry.Get(ctx, kind, name)
		if errors.Is(err, store.ErrNotFound) {
			return notFound(plural, name)
		}
		if err != nil {
			return storeError(err)
		}
		writeJSON(w, http.StatusOK, obj)
		return nil
	}
}

func (s *Server) resourceDelete(plural, kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		name := r.PathValue("name")
		if err := s.require(ctx, "delete", plural, name); err != nil {
			return err
		}
		err := s.opts.Registry.Delete(ctx, kind, name)
		if errors.Is(err, store.ErrNotFound) {
			return notFound(plural, name)
		}
		if err != nil {
			return storeError(err)
		}
		writeJSON(w, http.StatusOK, DeleteResult{Outcome: "deleted", Kind: kind, Name: name})
		return nil
	}
}

// resourcePut answers PUT /api/v1/<resource>/<name>: it creates the
// object (needs create) or updates it (needs update). The body is one
// object as JSON or YAML.
func (s *Server) resourcePut(plural, kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		name := r.PathValue("name")
		canCreate, err := s.allowed(ctx, "create", plural, "")
		if err != nil {
			return unavailable("cannot authorize now", err)
		}
		canUpdate, err := s.allowed(ctx, "update", plural, name)
		if err != nil {
			return unavailable("cannot authorize now", err)
		}
		if !canCreate && !canUpdate {
			return errorf(http.StatusForbidden, "forbidden: you may not create or update %s", plural)
		}
		obj, err := s.readObject(w, r, kind, name)
		if err != nil {
			return err
		}
		_, err = s.opts.Registry.Get(ctx, kind, name)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return storeError(err)
		}
		switch {
		case exists && !canUpdate:
			return errorf(http.StatusForbidden, "forbidden: you may not update %s %q", plural, name)
		case !exists && !canCreate:
			return errorf(http.StatusForbidden, "forbidden: you may not create %s", plural)
		}
		out, err := s.opts.Registry.Apply(ctx, obj)
		switch {
		case errors.Is(err, registry.ErrInvalid):
			return &apiError{code: http.StatusUnprocessableEntity, msg: fmt.Sprintf("%s %q is invalid", kind, name),
				details: invalidDetails(err)}
		case errors.Is(err, store.ErrConflict):
			return errorf(http.StatusConflict, "%s %q was changed meanwhile; try again", plural, name).withCause(err)
		case err != nil:
			return storeError(err)
		}
		stored, err := s.opts.Registry.Get(ctx, kind, name)
		if err != nil {
			return storeError(err)
		}
		code := http.StatusOK
		if out == registry.Created {
			code = http.StatusCreated
		}
		writeJSON(w, code, PutResult{Outcome: out, Object: stored})
		return nil
	}
}

// readObject reads and validates the object in a PUT body: exactly one
// object, of the path's kind, named as the path names it.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request, kind, name string) (v1.Object, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodySize))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errorf(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", s.opts.MaxBodySize)
	case err != nil:
		return nil, badRequest("cannot read the body").withCause(err)
	}
	objs, err := v1.Load("body", data, report.Validate)
	if err != nil {
		code, msg := http.StatusUnprocessableEntity, fmt.Sprintf("%s %q is invalid", kind, name)
		if !validationOnly(err) {
			code, msg = http.StatusBadRequest, "the body is not a "+kind+" manifest"
		}
		return nil, &apiError{code: code, msg: msg, details: errorList(err)}
	}
	if len(objs) != 1 {
		return nil, badRequest("the body must hold exactly one %s, not %d objects", kind, len(objs))
	}
	obj := objs[0]
	if got := registry.KindOf(obj); got != kind {
		return nil, badRequest("the body is a %s; this path takes a %s", got, kind)
	}
	if obj.GetName() != name {
		return nil, badRequest("metadata.name %q does not match the name in the path, %q", obj.GetName(), name)
	}
	return obj, nil
}

// errorList splits joined errors into their messages.
func errorList(err error) []string {
	var out []string
	for _, e := range flatten(err) {
		out = append(out, e.Error())
	}
	return out
}

// validationOnly reports whether every problem in err is a field that
// fails validation (rather than a body that does not decode).
func validationOnly(err error) bool {
	for _, e := range flatten(err) {
		var de *v1.DecodeError
		if !errors.As(e, &de) || de.Path == "" {
			return false
		}
	}
	return true
}

// flatten lists the errors joined in err.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// invalidDetails lists the problems of a registry.ErrInvalid error, whose
// text is "invalid: <Kind> "<name>": <problem>; <problem>...".
func invalidDetails(err error) []string {
	msg := strings.TrimPrefix(err.Error(), registry.ErrInvalid.Error()+": ")
	if i := strings.Index(msg, `": `); i >= 0 {
		msg = msg[i+3:]
	}
	return strings.Split(msg, "; ")
}
