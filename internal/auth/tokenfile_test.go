package auth

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const tokenFixture = `# demo tokens
demo-admin,admin,uid-1,"system:masters,ops"

demo-paul,paul,uid-2
 demo-candice , candice , uid-3 , "readers, , auditors "
demo-david,david,,
`

func TestTokenFileAuthenticate(t *testing.T) {
	tf, err := ParseTokenFile("tokens.csv", strings.NewReader(tokenFixture))
	if err != nil {
		t.Fatal(err)
	}
	if tf.Len() != 4 {
		t.Errorf("Len = %d, want 4", tf.Len())
	}
	tests := []struct {
		token  string
		want   User
		wantOK bool
	}{
		{"demo-admin", User{Name: "admin", UID: "uid-1", Groups: []string{"system:masters", "ops", GroupAuthenticated}}, true},
		{"demo-paul", User{Name: "paul", UID: "uid-2", Groups: []string{GroupAuthenticated}}, true},
		{"demo-candice", User{Name: "candice", UID: "uid-3", Groups: []string{"readers", "auditors", GroupAuthenticated}}, true},
		{"demo-david", User{Name: "david", Groups: []string{GroupAuthenticated}}, true},
		{"demo-pau", User{}, false},
		{"demo-paul ", User{}, false},
		{"DEMO-PAUL", User{}, false},
		{"", User{}, false},
		{"# demo tokens", User{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.token, func(t *testing.T) {
			u, ok, err := tf.AuthenticateToken(t.Context(), tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if diff := cmp.Diff(tc.want, u); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
		})
	}

	// A caller that changes the returned groups does not change the file's.
	u, _, _ := tf.AuthenticateToken(t.Context(), "demo-paul")
	u.Groups[0] = GroupMasters
	u, _, _ = tf.AuthenticateToken(t.Context(), "demo-paul")
	if u.InGroup(GroupMasters) {
		t.Error("returned groups alias the stored ones")
	}
}

func TestParseTokenFileErrors(t *testing.T) {
	const secret = "s3cr3t-t0ken"
	tests := []struct {
		name, file, want string
	}{
		{"two columns", "# c\n" + secret + ",alice\n", "tokens.csv:2: want at least 3 columns (token,user,uid), got 2"},
		{"one column", secret + "\n", "tokens.csv:1: want at least 3 columns (token,user,uid), got 1"},
		{"white space only", "a,b,c\n   \n", "tokens.csv:2: want at least 3 columns (token,user,uid), got 1"},
		{"unquoted groups", secret + ",alice,1,g1,g2\n",
			`tokens.csv:1: want at most 4 columns (token,user,uid,"group1,group2"), got 5; quote the groups column`},
		{"empty token", "a,b,c\n,alice,1\n", "tokens.csv:2: empty token"},
		{"blank token", "  ,alice,1\n", "tokens.csv:1: empty token"},
		{"space in token", `"` + secret + ` x",alice,1` + "\n", "tokens.csv:1: token contains white space"},
		{"empty user", secret + ", ,1\n", "tokens.csv:1: empty user name"},
		{"duplicate", "a,b,c\n\n" + secret + ",alice,1\n" + secret + ",bob,2\n", "tokens.csv:4: duplicate token (first on line 3)"},
		{"duplicate after trimming", secret + ",alice,1\n " + secret + ",bob,2\n", "tokens.csv:2: duplicate token (first on line 1)"},
		{"bare quote", "a,b,c\n" + secret + `x"y,alice,1` + "\n", `tokens.csv:2:14: bare " in non-quoted-field`},
		{"unterminated quote", "a,b,c\n" + `"` + secret + ",alice,1\n", `tokens.csv:2:23: extraneous or missing " in quoted-field`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTokenFile("tokens.csv", strings.NewReader(tc.file))
			if err == nil {
				t.Fatal("ParseTokenFile succeeded, want an error")
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error reveals the token: %s", err)
			}
		})
	}
}

func TestLoadTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(path, []byte("t1,alice,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tf, err := LoadTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok, _ := tf.AuthenticateToken(t.Context(), "t1"); !ok || u.Name != "alice" {
		t.Errorf("got %v, %v; want alice", u, ok)
	}

	_, err = LoadTokenFile(filepath.Join(t.TempDir(), "missing.csv"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("got %v, want a not-exist error naming the file", err)
	}
}

func TestNewTokens(t *testing.T) {
	groups := []string{"g"}
	tf, err := NewTokens(map[string]User{"t1": {Name: "alice", Groups: groups}})
	if err != nil {
		t.Fatal(err)
	}
	u, ok, _ := tf.AuthenticateToken(t.Context(), "t1")
	want := User{Name: "alice", Groups: []string{"g", GroupAuthenticated}}
	if diff := cmp.Diff(want, u); !ok || diff != "" {
		t.Errorf("ok=%v, user (-want +got):\n%s", ok, diff)
	}
	if len(groups) != 1 || cap(groups) != 1 {
		t.Error("NewTokens changed the caller's groups")
	}

	for name, tokens := range map[string]map[string]User{
		"empty token": {"": {Name: "alice"}},
		"space":       {"a b": {Name: "alice"}},
		"no name":     {"t": {}},
	} {
		if _, err := NewTokens(tokens); err == nil {
			t.Errorf("%s: NewTokens succeeded, want an error", name)
		}
	}
}

func FuzzParseTokenFile(f *testing.F) {
	f.Add(tokenFixture)
	f.Add("a,b,c\n,alice,1\n")
	f.Add(`"x"y,b,c` + "\n")
	f.Add("t,u,i,\"g1,g2\"\nt,u,i\n")
	f.Fuzz(func(t *testing.T, data string) {
		tf, err := ParseTokenFile("fuzz.csv", strings.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv:") {
				t.Errorf("error does not name the file and line: %v", err)
			}
			return
		}
		if tf.Len() > strings.Count(data, "\n")+1 {
			t.Errorf("%d tokens from %d lines", tf.Len(), strings.Count(data, "\n")+1)
		}
		if _, ok, err := tf.AuthenticateToken(t.Context(), ""); ok || err != nil {
			t.Errorf("empty token: ok=%v err=%v", ok, err)
		}
	})
}
