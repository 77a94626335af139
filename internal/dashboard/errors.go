package dashboard

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/evident-dev/evident/internal/store"
)

// pageError is an error shown to the user as a page: a status, a title and
// a message that reveal nothing the user may not see. cause, when set, is
// logged and never shown.
type pageError struct {
	status  int
	title   string
	message string
	cause   error
}

func (e *pageError) Error() string {
	if e.cause != nil {
		return e.message + ": " + e.cause.Error()
	}
	return e.message
}

func (e *pageError) Unwrap() error { return e.cause }

func forbidden(verb, resource, name string) *pageError {
	what := resource
	if name != "" {
		what += " " + strconv.Quote(name)
	}
	return &pageError{status: http.StatusForbidden, title: "You don't have access",
		message: "Your account may not " + verb + " " + what + " (API group evident.dev). Ask an administrator for a role that grants it."}
}

func notFound(msg string) *pageError {
	return &pageError{status: http.StatusNotFound, title: "Not found", message: msg}
}

func badRequest(msg string) *pageError {
	return &pageError{status: http.StatusBadRequest, title: "Bad request", message: msg}
}

func unavailable(msg string, cause error) *pageError {
	return &pageError{status: http.StatusServiceUnavailable, title: "Unavailable", message: msg + "; try again shortly.", cause: cause}
}

// storeError maps a store error: not found is the page's 404, anything
// else a 503 whose cause is logged.
func storeError(err error, what string) *pageError {
	if errors.Is(err, store.ErrNotFound) {
		return notFound(what + " does not exist.")
	}
	return unavailable("cannot read "+what+" now", err)
}

// errorData is the template data of the error page.
type errorData struct {
	Status  int
	Title   string
	Message string
}

// fail renders err as an error page. r may be nil when the user is not
// known (the page then has no navigation).
func (h *handler) fail(w http.ResponseWriter, hr *http.Request, r *request, err error) {
	var pe *pageError
	if !errors.As(err, &pe) {
		pe = &pageError{status: http.StatusInternalServerError, title: "Something went wrong",
			message: "The page could not be shown.", cause: err}
	}
	if pe.cause != nil || pe.status >= 500 {
		h.log.LogAttrs(hr.Context(), slog.LevelError, "dashboard page failed", slog.String("path", hr.URL.Path),
			slog.Int("status", pe.status), slog.Any("err", pe.cause))
	}
	if r == nil {
		r = &request{Request: hr}
	}
	data := errorData{Status: pe.status, Title: pe.title, Message: pe.message}
	if rerr := h.render(w, r, pe.status, "error.html", pe.title, "", data); rerr != nil {
		h.log.LogAttrs(hr.Context(), slog.LevelError, "render error page", slog.Any("err", rerr))
	}
}
