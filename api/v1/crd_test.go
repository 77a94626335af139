package v1

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestCRDs decodes the generated CustomResourceDefinitions strictly and
// checks that their schemas have exactly the fields of the Go types, so a
// type changed without regenerating the CRDs fails here.
func TestCRDs(t *testing.T) {
	tests := []struct {
		file, plural string
		obj          any
		status       bool
	}{
		{"evident.dev_globalreports.yaml", "globalreports", &GlobalReport{}, true},
		{"evident.dev_globalreporttypes.yaml", "globalreporttypes", &GlobalReportType{}, false},
		{"evident.dev_globalalerts.yaml", "globalalerts", &GlobalAlert{}, true},
	}
	files, err := filepath.Glob("../../config/crd/*.yaml")
	if err != nil || len(files) != len(tests) {
		t.Fatalf("config/crd holds %v (%v), want %d CRDs", files, err, len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.plural, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("../../config/crd", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var crd apiextensionsv1.CustomResourceDefinition
			if err := yaml.UnmarshalStrict(data, &crd); err != nil {
				t.Fatalf("decode %s: %v", tt.file, err)
			}
			kind := reflect.TypeOf(tt.obj).Elem().Name()
			if crd.APIVersion != "apiextensions.k8s.io/v1" || crd.Kind != "CustomResourceDefinition" {
				t.Errorf("apiVersion %q kind %q", crd.APIVersion, crd.Kind)
			}
			if crd.Name != tt.plural+"."+GroupName || crd.Spec.Group != GroupName {
				t.Errorf("name %q group %q", crd.Name, crd.Spec.Group)
			}
			if crd.Spec.Names.Kind != kind || crd.Spec.Names.ListKind != kind+"List" || crd.Spec.Names.Plural != tt.plural {
				t.Errorf("names %+v", crd.Spec.Names)
			}
			if crd.Spec.Scope != apiextensionsv1.ClusterScoped {
				t.Errorf("scope %q", crd.Spec.Scope)
			}
			if len(crd.Spec.Versions) != 1 {
				t.Fatalf("%d versions", len(crd.Spec.Versions))
			}
			v := crd.Spec.Versions[0]
			if v.Name != "v1" || !v.Served || !v.Storage {
				t.Errorf("version %q served %v storage %v", v.Name, v.Served, v.Storage)
			}
			hasStatus := v.Subresources != nil && v.Subresources.Status != nil
			if hasStatus != tt.status {
				t.Errorf("status subresource %v, want %v", hasStatus, tt.status)
			}
			if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				t.Fatal("no schema")
			}
			root := v.Schema.OpenAPIV3Schema
			if root.Description == "" {
				t.Error("the kind has no description")
			}
			compareSchema(t, reflect.TypeOf(tt.obj).Elem(), root, "")
		})
	}
}

// compareSchema checks that the properties of schema s match the JSON
// fields of Go type typ, recursively, and that each has a description.
func compareSchema(t *testing.T, typ reflect.Type, s *apiextensionsv1.JSONSchemaProps, path string) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if reflect.PointerTo(typ).Implements(unmarshalerType) {
		return // times and durations are strings in the schema
	}
	switch typ.Kind() {
	case reflect.Slice:
		if s.Items == nil || s.Items.Schema == nil {
			t.Errorf("%s: list without an item schema", path)
			return
		}
		compareSchema(t, typ.Elem(), s.Items.Schema, path+"[]")
		return
	case reflect.Struct:
	default:
		return
	}
	if path == "metadata" {
		return // the API server supplies the schema of object metadata
	}
	w := newWalker("", 0, 0)
	fields := w.structFields(typ)
	var goNames, schemaNames []string
	for name := range fields {
		goNames = append(goNames, name)
	}
	for name := range s.Properties {
		schemaNames = append(schemaNames, name)
	}
	slices.Sort(goNames)
	slices.Sort(schemaNames)
	if !slices.Equal(goNames, schemaNames) {
		t.Errorf("%s: Go fields %v, schema properties %v", path, goNames, schemaNames)
		return
	}
	for name, f := range fields {
		p := joinPath(path, name)
		prop := s.Properties[name]
		if prop.Description == "" && name != "metadata" && !strings.HasPrefix(typ.PkgPath(), "k8s.io/") {
			t.Errorf("%s: no description", p)
		}
		compareSchema(t, f.Type, &prop, p)
	}
}
