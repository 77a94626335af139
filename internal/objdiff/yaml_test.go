package objdiff

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// readsBack checks that yaml (from Normalize) parses, with a standard YAML
// library, to the value the object's kept parts hold.
func readsBack(t *testing.T, obj []byte, out string) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatalf("test object: %v", err)
	}
	want := map[string]any{}
	for k, v := range m {
		switch k {
		case "status", "kind", "apiVersion":
		case "metadata":
			meta, ok := v.(map[string]any)
			if !ok {
				continue
			}
			keep := map[string]any{}
			for _, f := range keptMetadataFields {
				if x, ok := meta[f]; ok {
					keep[f] = x
				}
			}
			if ann, ok := meta["annotations"].(map[string]any); ok {
				delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
				if len(ann) > 0 {
					keep["annotations"] = ann
				}
			} else if x, ok := meta["annotations"]; ok {
				keep["annotations"] = x
			}
			want[k] = keep
		default:
			want[k] = v
		}
	}
	j, err := yaml.YAMLToJSON([]byte(out))
	if err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(j, &got); err != nil {
		t.Fatalf("output is not a mapping: %v\n%s", err, out)
	}
	if len(want) == 0 {
		want = nil // "{}" reads back as an empty map or nil
		if len(got) == 0 {
			got = nil
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("YAML reads back differently (-want +got):\n%s\nYAML:\n%s", diff, out)
	}
}

func TestToYAMLRoundTrips(t *testing.T) {
	cases := map[string]string{
		"kubectl style": `{"metadata":{"name":"np","labels":{"app":"web"}},"spec":{"podSelector":{},"ingress":[{"from":[{"podSelector":{"matchLabels":{"a":"b"}}}],"ports":[{"port":80,"protocol":"TCP"}]}],"policyTypes":["Ingress"]}}`,
		"strings that look like other things": `{"data":{"a":"true","b":"123","c":"1.5","d":"","e":"null","f":"~","g":"yes","h":"off","i":"0x1F","j":"1e3",
			"k":"2026-01-01","l":"- item","m":"a: b","n":"x #c","o":" lead","p":"trail ","q":"[1]","r":"{a}","s":"*ref","t":"&anc","u":"!tag",
			"v":"%x","w":"@at","x":"` + "`" + `tick","y":"10.0.0.0/8","z":"nginx:1.25","aa":"a:","ab":"<<","ac":"=","ad":"?q","ae":"|","af":">",
			"ag":"'q'","ah":"\"q\"","ai":"a  b","aj":"Y","ak":"N","al":".inf","am":"-.inf","an":".NaN"}}`,
		"multi-line text": `{"data":{"conf":"server {\n  listen 80;\n}\n","noeol":"a\nb","blank":"a\n\nb\n","two":"a\n\n","lead":"\n a","spaces":"a\n   \nb",
			"tabs":"a\n\tb\n","cr":"a\r\nb","unicode":"grüße\n日本\n","ctrl":"a\u0001b\nc","bom":"\ufeffa\nb"}}`,
		"numbers": `{"spec":{"i":8080,"neg":-3,"f":1.5,"e":1e3,"E":2.5E-2,"big":12345678901234567890,"zero":0}}`,
		"nesting": `{"spec":{"a":[[1,2],[],[[3]],{}],"b":[{}],"c":{"d":{}},"e":[null,true,false],"f":null,
			"weird keys":{"":1,"a b":2,"true":3,"1":4,"a: b":5,"- x":6,"k\nl":7}}}`,
		"metadata not an object": `{"metadata":"x","spec":{"a":1}}`,
		"annotations":            `{"metadata":{"name":"n","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","note":"a: b"}}}`,
		"empty":                  `{}`,
	}
	for name, obj := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := Normalize([]byte(obj))
			if err != nil {
				t.Fatal(err)
			}
			readsBack(t, []byte(obj), out)
		})
	}
}

// TestNormalizeRealObjects round-trips every object in the real
// API-server sample, and checks that a reader reused from object to
// object (as a changelog reuses it) gives what a fresh one gives.
func TestNormalizeRealObjects(t *testing.T) {
	var shared reader
	f, err := os.Open("../../testdata/real-apiserver/audit.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	n := 0
	for sc.Scan() {
		var ev struct {
			RequestObject  json.RawMessage `json:"requestObject"`
			ResponseObject json.RawMessage `json:"responseObject"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		for _, obj := range []json.RawMessage{ev.RequestObject, ev.ResponseObject} {
			if len(obj) == 0 || obj[0] != '{' {
				continue
			}
			out, err := Normalize(obj)
			if err != nil {
				t.Fatal(err)
			}
			readsBack(t, obj, out)
			if again, err := shared.normalize(obj); err != nil || again != out {
				t.Fatalf("a reused reader gives %q (%v), a fresh one %q", again, err, out)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d objects checked", n)
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add(`{"metadata":{"name":"a"},"spec":{"x":["1",{"y":"a\nb"}]}}`)
	f.Add(`{"data":{"k":" v","n":1e5}}`)
	f.Fuzz(func(t *testing.T, obj string) {
		var m map[string]any
		if json.Unmarshal([]byte(obj), &m) != nil || !strings.HasPrefix(strings.TrimSpace(obj), "{") {
			return
		}
		out, err := Normalize([]byte(obj))
		if err != nil {
			t.Fatalf("valid JSON rejected: %v", err)
		}
		readsBack(t, []byte(obj), out)
	})
}
