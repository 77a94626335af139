package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
)

// TokenFile authenticates the static tokens of a kube-apiserver token file.
// It keeps only the tokens' SHA-256 digests.
type TokenFile struct {
	entries []tokenEntry
}

type tokenEntry struct {
	digest [sha256.Size]byte
	user   User
}

var _ Authenticator = (*TokenFile)(nil)

// LoadTokenFile reads a token file: one user per line as
// token,user,uid[,"group1,group2"]. Blank lines and lines starting with # are
// skipped. Errors name the file and line and never contain a token.
func LoadTokenFile(path string) (*TokenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load token file: %w", err)
	}
	defer f.Close()
	return ParseTokenFile(path, f)
}

// ParseTokenFile parses a token file read from r; name is used in errors.
func ParseTokenFile(name string, r io.Reader) (*TokenFile, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	tf := &TokenFile{}
	firstLine := map[[sha256.Size]byte]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		e, err := parseTokenRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if prev, dup := firstLine[e.digest]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate token (first on line %d)", name, line, prev)
		}
		firstLine[e.digest] = line
		tf.entries = append(tf.entries, e)
	}
	return tf, nil
}

// csvError reports a CSV syntax error by file and line without quoting the
// offending text, which may be a token.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %w", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("read token file %s: %w", name, err)
}

// parseTokenRecord validates one CSV record. Its errors never quote the
// token.
func parseTokenRecord(rec []string) (tokenEntry, error) {
	if len(rec) < 3 {
		return tokenEntry{}, fmt.Errorf("want at least 3 columns (token,user,uid), got %d", len(rec))
	}
	if len(rec) > 4 {
		return tokenEntry{}, fmt.Errorf(`want at most 4 columns (token,user,uid,"group1,group2"), got %d; quote the groups column`, len(rec))
	}
	token := strings.TrimSpace(rec[0])
	if token == "" {
		return tokenEntry{}, errors.New("empty token")
	}
	if strings.IndexFunc(token, unicode.IsSpace) >= 0 {
		return tokenEntry{}, errors.New("token contains white space")
	}
	u := User{Name: strings.TrimSpace(rec[1]), UID: strings.TrimSpace(rec[2])}
	if u.Name == "" {
		return tokenEntry{}, errors.New("empty user name")
	}
	if len(rec) == 4 {
		for g := range strings.SplitSeq(rec[3], ",") {
			if g = strings.TrimSpace(g); g != "" {
				u.Groups = append(u.Groups, g)
			}
		}
	}
	return newTokenEntry(token, u), nil
}

func newTokenEntry(token string, u User) tokenEntry {
	if !u.InGroup(GroupAuthenticated) {
		u.Groups = append(u.Groups, GroupAuthenticated)
	}
	return tokenEntry{digest: sha256.Sum256([]byte(token)), user: u}
}

// NewTokens returns a TokenFile holding the given tokens, for tokens that do
// not come from a file. Every user is also a member of system:authenticated.
func NewTokens(tokens map[string]User) (*TokenFile, error) {
	tf := &TokenFile{}
	for token, u := range tokens {
		if token == "" || strings.IndexFunc(token, unicode.IsSpace) >= 0 {
			return nil, fmt.Errorf("token for user %q is empty or contains white space", u.Name)
		}
		if u.Name == "" {
			return nil, errors.New("token has an empty user name")
		}
		u.Groups = append([]string(nil), u.Groups...)
		tf.entries = append(tf.entries, newTokenEntry(token, u))
	}
	return tf, nil
}

// Len returns the number of tokens.
func (f *TokenFile) Len() int { return len(f.entries) }

// AuthenticateToken implements Authenticator. It compares the token's digest
// with every entry in constant time, so the time taken does not depend on
// which entry, if any, matches.
func (f *TokenFile) AuthenticateToken(_ context.Context, token string) (User, bool, error) {
	d := sha256.Sum256([]byte(token))
	match := -1
	for i := range f.entries {
		eq := subtle.ConstantTimeCompare(d[:], f.entries[i].digest[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return User{}, false, nil
	}
	u := f.entries[match].user
	u.Groups = append([]string(nil), u.Groups...)
	return u, true, nil
}
