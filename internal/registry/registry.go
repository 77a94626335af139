// Package registry keeps Evident's configuration objects (GlobalReport,
// GlobalReportType, GlobalAlert) in the store, with the Kubernetes API
// server's semantics: creation assigns a UID, creationTimestamp and
// generation and clears status; a spec update bumps the generation and
// keeps status; a status update changes status only. A GlobalReport must
// name an existing GlobalReportType. The four default report types are
// installed on first use.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/evident-dev/evident/api/v1"
	"github.com/evident-dev/evident/internal/store"
)

// Options configure a Registry.
type Options struct {
	// Defaults are the report types installed when the store has none of
	// them yet (normally report.DefaultTypes()).
	Defaults []*v1.GlobalReportType
	// Render test-renders report templates (report.Validate).
	Render func(v1.ReportTemplate) error
	Now    func() time.Time
	// Changed, when set, is told about every write (to wake the scheduler).
	Changed func(kind, name string)
}

// Registry stores configuration objects.
type Registry struct {
	st   store.Resources
	opts Options
}

// New returns a registry over a store.
func New(st store.Resources, opts Options) *Registry {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Registry{st: st, opts: opts}
}

// Outcome says what Apply did, in kubectl's words.
type Outcome string

// The outcomes of Apply.
const (
	Created    Outcome = "created"
	Configured Outcome = "configured"
	Unchanged  Outcome = "unchanged"
)

// ErrInvalid marks objects that fail validation.
var ErrInvalid = errors.New("invalid")

// InstallDefaults creates the default report types that do not exist.
func (r *Registry) InstallDefaults(ctx context.Context) error {
	for _, t := range r.opts.Defaults {
		if _, err := r.st.GetResource(ctx, v1.KindGlobalReportType, t.Name); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := r.Apply(ctx, t.DeepCopy()); err != nil && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("install report type %s: %w", t.Name, err)
		}
	}
	return nil
}

// Apply creates an object or updates its spec (and labels/annotations).
func (r *Registry) Apply(ctx context.Context, obj v1.Object) (Outcome, error) {
	kind := KindOf(obj)
	if err := r.validate(ctx, obj); err != nil {
		return "", err
	}
	for attempt := 0; ; attempt++ {
		cur, err := r.st.GetResource(ctx, kind, obj.GetName())
		var out Outcome
		var body []byte
		var version int64
		switch {
		case errors.Is(err, store.ErrNotFound):
			out, body = Created, r.prepareCreate(obj)
		case err != nil:
			return "", err
		default:
			version = cur.Version
			out, body, err = r.prepareUpdate(kind, cur.Object, obj)
			if err != nil {
				return "", err
			}
			if out == Unchanged {
				return Unchanged, nil
			}
		}
		_, err = r.st.PutResource(ctx, kind, obj.GetName(), body, version)
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return "", err
		}
		r.changed(kind, obj.GetName())
		return out, nil
	}
}

func (r *Registry) changed(kind, name string) {
	if r.opts.Changed != nil {
		r.opts.Changed(kind, name)
	}
}

// validate defaults and validates an object and checks its references.
func (r *Registry) validate(ctx context.Context, obj v1.Object) error {
	var errs []string
	switch o := obj.(type) {
	case *v1.GlobalReport:
		o.Default()
		for _, fe := range o.Validate() {
			errs = append(errs, fe.Error())
		}
		if o.Spec.ReportType != "" {
			if _, err := r.st.GetResource(ctx, v1.KindGlobalReportType, o.Spec.ReportType); errors.Is(err, store.ErrNotFound) {
				errs = append(errs, fmt.Sprintf("spec.reportType: Not found: %q: no GlobalReportType of that name", o.Spec.ReportType))
			} else if err != nil {
				return err
			}
		}
	case *v1.GlobalReportType:
		for _, fe := range o.Validate(r.opts.Render) {
			errs = append(errs, fe.Error())
		}
	case *v1.GlobalAlert:
		o.Default()
		for _, fe := range o.Validate() {
			errs = append(errs, fe.Error())
		}
	default:
		return fmt.Errorf("%w: unsupported object %T", ErrInvalid, obj)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s %q: %s", ErrInvalid, KindOf(obj), obj.GetName(), joinErrs(errs))
	}
	return nil
}

func joinErrs(errs []string) string {
	out := errs[0]
	for _, e := range errs[1:] {
		out += "; " + e
	}
	return out
}

// prepareCreate fills in server-side metadata and clears status.
func (r *Registry) prepareCreate(obj v1.Object) []byte {
	obj.SetUID(types.UID(uuid.NewString()))
	obj.SetCreationTimestamp(metav1.NewTime(r.opts.Now().UTC().Truncate(time.Second)))
	obj.SetGeneration(1)
	obj.SetResourceVersion("")
	switch o := obj.(type) {
	case *v1.GlobalReport:
		o.Status = v1.ReportStatus{}
	case *v1.GlobalAlert:
		o.Status = v1.GlobalAlertStatus{}
	}
	setTypeMeta(obj)
	raw, _ := json.Marshal(obj)
	return raw
}

// prepareUpdate carries server-side metadata and status over from the
// stored object; the generation grows when the spec changed.
func (r *Registry) prepareUpdate(kind string, stored []byte, obj v1.Object) (Outcome, []byte, error) {
	old, err := decode(kind, stored)
	if err != nil {
		return "", nil, err
	}
	obj.SetUID(old.GetUID())
	obj.SetCreationTimestamp(old.GetCreationTimestamp())
	obj.SetResourceVersion("")
	gen := old.GetGeneration()
	if !reflect.DeepEqual(specOf(old), specOf(obj)) {
		gen++
	}
	obj.SetGeneration(gen)
	switch o := obj.(type) {
	case *v1.GlobalReport:
		o.Status = old.(*v1.GlobalReport).Status
	case *v1.GlobalAlert:
		o.Status = old.(*v1.GlobalAlert).Status
	}
	setTypeMeta(obj)
	if reflect.DeepEqual(specOf(old), specOf(obj)) && reflect.DeepEqual(old.GetLabels(), obj.GetLabels()) &&
		reflect.DeepEqual(old.GetAnnotations(), obj.GetAnnotations()) {
		return Unchanged, nil, nil
	}
	raw, err := json.Marshal(obj)
	return Configured, raw, err
}

func specOf(o v1.Object) any {
	switch o := o.(type) {
	case *v1.GlobalReport:
		return o.Spec
	case *v1.GlobalReportType:
		return o.Spec
	case *v1.GlobalAlert:
		return o.Spec
	}
	return nil
}

func setTypeMeta(obj v1.Object) {
	obj.GetObjectKind().SetGroupVersionKind(v1.GroupVersion.WithKind(KindOf(obj)))
}

// KindOf names the kind of an object from its Go type.
func KindOf(obj v1.Object) string {
	switch obj.(type) {
	case *v1.GlobalReport:
		return v1.KindGlobalReport
	case *v1.GlobalReportType:
		return v1.KindGlobalReportType
	case *v1.GlobalAlert:
		return v1.KindGlobalAlert
	}
	return obj.GetObjectKind().GroupVersionKind().Kind
}

// decode reads a stored object of a kind.
func decode(kind string, raw []byte) (v1.Object, error) {
	var obj v1.Object
	switch kind {
	case v1.KindGlobalReport:
		obj = &v1.GlobalReport{}
	case v1.KindGlobalReportType:
		obj = &v1.GlobalReportType{}
	case v1.KindGlobalAlert:
		obj = &v1.GlobalAlert{}
	default:
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	if err := json.Unmarshal(raw, obj); err != nil {
		return nil, fmt.Errorf("read stored %s: %w", kind, err)
	}
	setTypeMeta(obj)
	return obj, nil
}

// Get reads one object.
func (r *Registry) Get(ctx context.Context, kind, name string) (v1.Object, error) {
	res, err := r.st.GetResource(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	return decode(kind, res.Object)
}

// List reads every object of a kind, by name.
func (r *Registry) List(ctx context.Context, kind string) ([]v1.Object, error) {
	res, err := r.st.ListResources(ctx, kind)
	if err != nil {
		return nil, err
	}
	out := make([]v1.Object, 0, len(res))
	for _, x := range res {
		o, err := decode(kind, x.Object)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Delete removes an object. A report type still named by a GlobalReport
// can be deleted (as in Kubernetes); its reports keep a copy of it.
func (r *Registry) Delete(ctx context.Context, kind, name string) error {
	if err := r.st.DeleteResource(ctx, kind, name); err != nil {
		return err
	}
	r.changed(kind, name)
	return nil
}

// GetReport reads a GlobalReport.
func (r *Registry) GetReport(ctx context.Context, name string) (*v1.GlobalReport, error) {
	o, err := r.Get(ctx, v1.KindGlobalReport, name)
	if err != nil {
		return nil, err
	}
	return o.(*v1.GlobalReport), nil
}

// GetReportType reads a GlobalReportType.
func (r *Registry) GetReportType(ctx context.Context, name string) (*v1.GlobalReportType, error) {
	o, err := r.Get(ctx, v1.KindGlobalReportType, name)
	if err != nil {
		return nil, err
	}
	return o.(*v1.GlobalReportType), nil
}

// ListReports returns every GlobalReport (the scheduler's view).
func (r *Registry) ListReports(ctx context.Context) ([]*v1.GlobalReport, error) {
	objs, err := r.List(ctx, v1.KindGlobalReport)
	if err != nil {
		return nil, err
	}
	out := make([]*v1.GlobalReport, len(objs))
	for i, o := range objs {
		out[i] = o.(*v1.GlobalReport)
	}
	return out, nil
}

// UpdateReportStatus replaces a GlobalReport's status, leaving its spec.
func (r *Registry) UpdateReportStatus(ctx context.Context, name string, status v1.ReportStatus) error {
	for attempt := 0; ; attempt++ {
		res, err := r.st.GetResource(ctx, v1.KindGlobalReport, name)
		if err != nil {
			return err
		}
		o, err := decode(v1.KindGlobalReport, res.Object)
		if err != nil {
			return err
		}
		rep := o.(*v1.GlobalReport)
		rep.Status = status
		raw, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		_, err = r.st.PutResource(ctx, v1.KindGlobalReport, name, raw, res.Version)
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue
		}
		return err
	}
}
