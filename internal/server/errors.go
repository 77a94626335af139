package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/evident-dev/evident/internal/store"
)

// apiError is an error answer: the status and message the caller sees,
// and the cause that is logged (never sent).
type apiError struct {
	code    int
	msg     string
	details []string
	cause   error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%d %s: %v", e.code, e.msg, e.cause)
	}
	return fmt.Sprintf("%d %s", e.code, e.msg)
}

func (e *apiError) Unwrap() error { return e.cause }

func (e *apiError) withCause(err error) *apiError {
	e.cause = err
	return e
}

func errorf(code int, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, format, args...)
}

func unauthorized(msg string) *apiError {
	return &apiError{code: http.StatusUnauthorized, msg: msg}
}

// unavailable is the answer when the store or an auth backend fails.
func unavailable(msg string, cause error) *apiError {
	return &apiError{code: http.StatusServiceUnavailable, msg: msg, cause: cause}
}

// storeError maps an error of the store to an answer: a bad cursor is
// the caller's, a closed or failing store is 503.
func storeError(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, store.ErrBadCursor):
		return badRequest("invalid parameter after: not a page cursor of this query").withCause(err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return unavailable("request cancelled or timed out", err)
	}
	return unavailable("the store cannot answer now", err)
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error   string   `json:"error"`
	Code    int      `json:"code"`
	Details []string `json:"details,omitempty"`
}

// writeError answers with err as JSON and keeps its cause for the log.
// Errors that are not an *apiError are internal (500) and their text is
// not sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errorf(http.StatusInternalServerError, "internal server error").withCause(err)
	}
	info := infoFrom(r.Context())
	if ae.cause != nil {
		info.cause = ae.cause
	}
	if ae.code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="evident"`)
	}
	writeJSON(w, ae.code, errorBody{Error: ae.msg, Code: ae.code, Details: ae.details})
}

// writeJSON answers with v as JSON followed by a newline.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: "internal server error", Code: code})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
