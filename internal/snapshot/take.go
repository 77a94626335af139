package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/evident-dev/evident/internal/audit"
	"github.com/evident-dev/evident/internal/store"
)

// versionsOf are the API versions a tracked group is listed in, in order
// of preference: the Calico API server's projectcalico.org/v3, then the
// CRDs Calico stores its resources in.
var versionsOf = map[string][]schema.GroupVersion{
	audit.GroupCore:       {{Group: "", Version: "v1"}},
	audit.GroupNetworking: {{Group: "networking.k8s.io", Version: "v1"}},
	audit.GroupCalico:     {{Group: "projectcalico.org", Version: "v3"}, {Group: "crd.projectcalico.org", Version: "v1"}},
}

// Taken is the outcome of listing the cluster.
type Taken struct {
	Baselines []store.Baseline
	Missing   []audit.Kind // kinds the cluster does not serve (e.g. no Calico)
}

// Take lists every tracked kind from a cluster. Each kind's baseline is
// timed when its listing completed; a kind the cluster does not serve is
// reported in Missing rather than failing the snapshot.
func Take(ctx context.Context, cfg *rest.Config) (Taken, error) {
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return Taken{}, fmt.Errorf("connect: %w", err)
	}
	var out Taken
	for _, k := range audit.Tracked() {
		b, err := listKind(ctx, client, k)
		switch {
		case errors.Is(err, errNotServed):
			out.Missing = append(out.Missing, k)
		case err != nil:
			return out, err
		default:
			out.Baselines = append(out.Baselines, b)
		}
	}
	return out, nil
}

var errNotServed = errors.New("not served")

func listKind(ctx context.Context, client dynamic.Interface, k audit.Kind) (store.Baseline, error) {
	for _, gv := range versionsOf[k.Group] {
		res := client.Resource(gv.WithResource(k.Resource))
		b := store.Baseline{Kind: k}
		opts := metav1.ListOptions{Limit: 500}
		for {
			list, err := res.List(ctx, opts)
			if apierrors.IsNotFound(err) {
				break // this group/version does not serve the kind; try the next
			}
			if err != nil {
				return b, fmt.Errorf("list %s: %w", k, err)
			}
			for _, it := range list.Items {
				raw, err := json.Marshal(it.Object)
				if err != nil {
					return b, fmt.Errorf("encode %s %s: %w", k, it.GetName(), err)
				}
				b.Objects = append(b.Objects, store.BaselineObject{Namespace: it.GetNamespace(), Name: it.GetName(),
					UID: string(it.GetUID()), ResourceVersion: it.GetResourceVersion(), Object: raw})
			}
			if list.GetContinue() == "" {
				b.Time = time.Now().UTC()
				return b, nil
			}
			opts.Continue = list.GetContinue()
		}
	}
	return store.Baseline{}, errNotServed
}
