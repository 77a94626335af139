package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/evident-dev/evident/internal/auth"
)

// user returns the signed-in user: the one an enclosing server put in
// the request context, else the one the session cookie's token
// authenticates. ok is false when there is none.
func (h *handler) user(r *http.Request) (auth.User, bool, error) {
	if u, ok := auth.UserFrom(r.Context()); ok && u.Name != "" {
		return u, true, nil
	}
	tok, ok := SessionToken(r)
	if !ok {
		return auth.User{}, false, nil
	}
	return h.opts.Authn.AuthenticateToken(r.Context(), tok)
}

// SessionToken returns the bearer token held by a request's session
// cookie.
func SessionToken(r *http.Request) (string, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// toLogin sends an anonymous user to the sign-in page, remembering where
// they were going.
func (h *handler) toLogin(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(SessionCookie); err == nil {
		h.clearCookie(w, r) // a token that no longer authenticates
	}
	target := "/login"
	if next := r.URL.RequestURI(); next != "/" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// loginData is the template data of the sign-in page.
type loginData struct {
	Next  string
	Error string
}

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, ok, err := h.user(r); err == nil && ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

func (h *handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	if err := h.render(w, &request{Request: r}, status, "login.html", "Sign in", "", d); err != nil {
		h.fail(w, r, nil, err)
	}
}

// maxTokenLength bounds the tokens the sign-in form accepts.
const maxTokenLength = 8 << 10

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := h.sameOrigin(r); err != nil {
		h.fail(w, r, nil, &pageError{status: http.StatusForbidden, title: "Request refused",
			message: "The sign-in form was sent from another site.", cause: err})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenLength+4096)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, nil, badRequest("The sign-in form could not be read."))
		return
	}
	d := loginData{Next: safeNext(r.PostForm.Get("next"))}
	tok := strings.TrimSpace(r.PostForm.Get("token"))
	if tok == "" {
		d.Error = "Paste a bearer token to sign in."
		h.renderLogin(w, r, http.StatusBadRequest, d)
		return
	}
	if !cookieSafe(tok) {
		d.Error = "This token has characters a session cookie cannot hold (spaces, quotes, commas, semicolons or backslashes)."
		h.renderLogin(w, r, http.StatusBadRequest, d)
		return
	}
	_, ok, err := h.opts.Authn.AuthenticateToken(r.Context(), tok)
	if err != nil {
		h.fail(w, r, nil, unavailable("cannot check the token now", err))
		return
	}
	if !ok {
		d.Error = "That token was not accepted. Check that it is complete and has not expired."
		h.renderLogin(w, r, http.StatusUnauthorized, d)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.sameOrigin(r); err != nil {
		h.fail(w, r, nil, &pageError{status: http.StatusForbidden, title: "Request refused",
			message: "The sign-out form was sent from another site.", cause: err})
		return
	}
	h.clearCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *handler) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.secure(r)})
}

func (h *handler) secure(r *http.Request) bool { return r.TLS != nil || h.opts.SecureCookies }

// sameOrigin refuses a form post from another site. Browsers send
// Sec-Fetch-Site or Origin, which http.CrossOriginProtection checks; for
// those that send neither, the Referer must name this host.
func (h *handler) sameOrigin(r *http.Request) error {
	if err := h.csrf.Check(r); err != nil {
		return err
	}
	if r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != "" {
		return nil
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		if err != nil || u.Host != r.Host {
			return errors.New("cross-origin referer")
		}
	}
	return nil
}

// safeNext keeps a post-sign-in target only when it is a path on this
// site.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	if p := u.Path; p == "/login" || p == "/logout" {
		return "/"
	}
	return next
}

// cookieSafe reports whether a token can be a cookie value unquoted.
func cookieSafe(tok string) bool {
	if len(tok) > maxTokenLength {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}
