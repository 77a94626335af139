package v1

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/randfill"
)

// mutate changes every settable value reachable from v in place: strings,
// numbers and booleans, through pointers, slices and maps.
func mutate(v reflect.Value) {
	if t, ok := v.Interface().(time.Time); ok {
		v.Set(reflect.ValueOf(t.Add(time.Hour)))
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			mutate(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				mutate(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			mutate(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			mutate(e)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(v.Float() + 1)
	}
}

// fill returns a filler of random objects whose times and managed fields
// are valid.
func fill(seed int64) *randfill.Filler {
	return randfill.NewWithSeed(seed).NilChance(0.2).NumElements(1, 3).Funcs(
		func(t *metav1.Time, c randfill.Continue) { *t = metav1.Unix(c.Int63n(1<<32), 0) },
		func(f *metav1.FieldsV1, c randfill.Continue) { f.Raw = []byte(`{"f:spec":{}}`) },
	)
}

func TestDeepCopy(t *testing.T) {
	objects := []runtime.Object{
		&GlobalReport{}, &GlobalReportList{},
		&GlobalReportType{}, &GlobalReportTypeList{},
		&GlobalAlert{}, &GlobalAlertList{},
	}
	for _, obj := range objects {
		t.Run(reflect.TypeOf(obj).Elem().Name(), func(t *testing.T) {
			for seed := range int64(20) {
				fill(seed).Fill(obj)
				before, err := json.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				cp := obj.DeepCopyObject()
				if reflect.TypeOf(cp) != reflect.TypeOf(obj) {
					t.Fatalf("DeepCopyObject returned %T", cp)
				}
				if diff := cmp.Diff(obj, cp); diff != "" {
					t.Fatalf("copy differs (-orig +copy):\n%s", diff)
				}
				mutate(reflect.ValueOf(cp))
				after, err := json.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(decodeAny(t, before), decodeAny(t, after)); diff != "" {
					t.Fatalf("changing the copy changed the original (-before +after):\n%s", diff)
				}
			}
		})
	}
}

// decodeAny decodes JSON into generic values, for diffs.
func decodeAny(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestScheme(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for kind, want := range map[string]runtime.Object{
		KindGlobalReport: &GlobalReport{}, KindGlobalReportList: &GlobalReportList{},
		KindGlobalReportType: &GlobalReportType{}, KindGlobalReportTypeList: &GlobalReportTypeList{},
		KindGlobalAlert: &GlobalAlert{}, KindGlobalAlertList: &GlobalAlertList{},
	} {
		obj, err := s.New(GroupVersion.WithKind(kind))
		if err != nil {
			t.Errorf("New(%s): %v", kind, err)
			continue
		}
		if reflect.TypeOf(obj) != reflect.TypeOf(want) {
			t.Errorf("New(%s) = %T, want %T", kind, obj, want)
		}
		gvks, _, err := s.ObjectKinds(want)
		if err != nil || len(gvks) != 1 || gvks[0] != GroupVersion.WithKind(kind) {
			t.Errorf("ObjectKinds(%T) = %v, %v", want, gvks, err)
		}
	}
	if GroupVersion.String() != "evident.dev/v1" {
		t.Errorf("GroupVersion = %s", GroupVersion)
	}
}
