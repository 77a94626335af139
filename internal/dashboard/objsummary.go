package dashboard

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/evident-dev/evident/internal/audit"
)

// objectSummary picks the few fields that identify what an object does,
// for the policies table: selectors, types, tier and order of policies,
// the size of network sets, the phase and node of pods.
func objectSummary(k audit.Kind, raw []byte) []keyValue {
	if len(raw) == 0 {
		return nil
	}
	var o struct {
		Spec   map[string]any `json:"spec"`
		Status struct {
			Phase string `json:"phase"`
		} `json:"status"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return nil
	}
	var out []keyValue
	add := func(key, v string) {
		if v != "" {
			out = append(out, keyValue{key, v})
		}
	}
	spec := o.Spec
	switch {
	case k.Resource == "networkpolicies" && k.Group == audit.GroupNetworking,
		k.Resource == "stagedkubernetesnetworkpolicies":
		add("pods", labelSelectorText(spec["podSelector"]))
		add("types", listText(spec["policyTypes"]))
		add("staged action", str(spec["stagedAction"]))
	case strings.HasSuffix(k.Resource, "networkpolicies"):
		sel := str(spec["selector"])
		if sel == "" {
			sel = "all()"
		}
		add("selector", sel)
		add("types", listText(spec["types"]))
		add("tier", str(spec["tier"]))
		add("order", scalar(spec["order"]))
		add("staged action", str(spec["stagedAction"]))
	case strings.HasSuffix(k.Resource, "networksets"):
		nets, _ := spec["nets"].([]any)
		add("nets", strconv.Itoa(len(nets)))
		add("domains", countText(spec["allowedEgressDomains"]))
	case k.Resource == "tiers":
		add("order", scalar(spec["order"]))
	case k.Resource == "pods":
		add("phase", o.Status.Phase)
		add("node", str(spec["nodeName"]))
		add("service account", str(spec["serviceAccountName"]))
	case k.Resource == "hostendpoints":
		add("node", str(spec["node"]))
		add("interface", str(spec["interfaceName"]))
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// scalar prints a JSON scalar ("" for anything else).
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func listText(v any) string {
	l, _ := v.([]any)
	var s []string
	for _, x := range l {
		s = append(s, scalar(x))
	}
	return strings.Join(s, ", ")
}

func countText(v any) string {
	l, _ := v.([]any)
	if len(l) == 0 {
		return ""
	}
	return strconv.Itoa(len(l))
}

// labelSelectorText prints a Kubernetes label selector compactly; an
// empty selector selects everything.
func labelSelectorText(v any) string {
	m, _ := v.(map[string]any)
	var parts []string
	if ml, ok := m["matchLabels"].(map[string]any); ok {
		keys := make([]string, 0, len(ml))
		for k := range ml {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, k+"="+scalar(ml[k]))
		}
	}
	if me, ok := m["matchExpressions"].([]any); ok {
		for _, e := range me {
			x, _ := e.(map[string]any)
			vals := listText(x["values"])
			p := fmt.Sprintf("%s %s", str(x["key"]), str(x["operator"]))
			if vals != "" {
				p += " (" + vals + ")"
			}
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "all pods"
	}
	return strings.Join(parts, ", ")
}
