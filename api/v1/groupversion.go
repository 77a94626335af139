package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group of Evident's resources.
const GroupName = "evident.dev"

// Kind names of the resources in this package.
const (
	KindGlobalReport         = "GlobalReport"
	KindGlobalReportList     = "GlobalReportList"
	KindGlobalReportType     = "GlobalReportType"
	KindGlobalReportTypeList = "GlobalReportTypeList"
	KindGlobalAlert          = "GlobalAlert"
	KindGlobalAlertList      = "GlobalAlertList"
)

// LabelGlobalReportType is the label that every GlobalReportType carries,
// with the report type's name as its value.
const LabelGlobalReportType = "global-report-type"

var (
	// GroupVersion is the group and version of the resources in this package.
	GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1"}

	// CalicoGroupVersion is the group and version of the Calico Enterprise
	// resources that Decode accepts and converts to GroupVersion.
	CalicoGroupVersion = schema.GroupVersion{Group: "projectcalico.org", Version: "v3"}

	// SchemeBuilder registers the resources of this package with a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the resources of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers every kind and its list with the scheme.
func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&GlobalReport{}, &GlobalReportList{},
		&GlobalReportType{}, &GlobalReportTypeList{},
		&GlobalAlert{}, &GlobalAlertList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}

// Object is one of the resources of this package: a *GlobalReport, a
// *GlobalReportType or a *GlobalAlert. Decode sets the kind of the objects
// it returns, so GetObjectKind().GroupVersionKind().Kind names it.
//
// +kubebuilder:object:generate=false
type Object interface {
	metav1.Object
	runtime.Object
}

var (
	_ Object = (*GlobalReport)(nil)
	_ Object = (*GlobalReportType)(nil)
	_ Object = (*GlobalAlert)(nil)
)
