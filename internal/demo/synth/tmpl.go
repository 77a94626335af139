package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// A pod's JSON is the same for every pod of a template except for a few
// values (name suffixes, node, IPs, times, container ids). Templates are
// encoded once with placeholders and rendered by copying literal segments
// and the pod's values: this is what makes generation fast.

// Placeholder slots, the per-pod values of a template.
const (
	vVol       = iota // kube-api-access-<suffix>
	vNode             // spec.nodeName
	vHostIP           // status.hostIP
	vPodIP            // status.podIP
	vUID              // metadata.uid (kubelet patches)
	vCreated          // creationTimestamp, controller managed-field time
	vScheduled        // PodScheduled transition
	vStart            // startTime
	vInit             // init containers done
	vReady            // containers running and ready
	vEnd              // containers terminated
	vKubelet          // kubelet managed-field time
	vCID0             // container ids, init containers first
	vCID1
	vCID2
	// Per-revision values, the same for every pod of a revision.
	vApp       // container name, app label
	vNS        // namespace
	vImage     // the workload's image
	vImageID   // its repository@digest
	vSA        // service account
	vEnv       // APP_ENV value
	vNameField // "generateName":… or "name":… of the create request (raw JSON)
	vReqMeta   // labels, annotations, ownerReferences of the create request (raw JSON)
	vMetaTail  // the same as stored, after admission (raw JSON)
	vMFMeta    // the creator's metadata field set (raw JSON)
	nVars
)

// slotTime is the sentinel time that stands for a time slot while a
// template is encoded with the Kubernetes types.
func slotTime(slot int) time.Time { return time.Date(2000, 1, 1, 0, slot, 0, 0, time.UTC) }

// slot is the placeholder for a string slot.
func slot(v int) string { return "@@" + strconv.Itoa(v) + "@@" }

// tmpl is compiled JSON with placeholders.
type tmpl struct {
	segs []tmplSeg
}

type tmplSeg struct {
	lit []byte
	v   int // slot after lit, -1 for none
}

// compile turns JSON containing @@N@@ placeholders and sentinel slot times
// into a template.
func compile(js []byte) tmpl {
	for v := range nVars {
		js = bytes.ReplaceAll(js, []byte(slotTime(v).Format(time.RFC3339)), []byte(slot(v)))
	}
	var t tmpl
	for {
		i := bytes.Index(js, []byte("@@"))
		if i < 0 {
			t.segs = append(t.segs, tmplSeg{lit: js, v: -1})
			return t
		}
		j := bytes.Index(js[i+2:], []byte("@@"))
		v, err := strconv.Atoi(string(js[i+2 : i+2+j]))
		if j < 0 || err != nil {
			panic(fmt.Sprintf("synth: bad placeholder in template at %d", i))
		}
		t.segs = append(t.segs, tmplSeg{lit: js[:i], v: v})
		js = js[i+2+j+2:]
	}
}

// render appends the template with the values filled in.
func (t *tmpl) render(b []byte, vars *[nVars]string) []byte {
	for _, s := range t.segs {
		b = append(b, s.lit...)
		if s.v >= 0 {
			b = append(b, vars[s.v]...)
		}
	}
	return b
}

// mustJSON encodes a value of a Kubernetes type; failure is a programming
// error.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("synth: encode %T: %v", v, err))
	}
	return b
}

// sortedJSON re-encodes JSON with object keys sorted, as clients that
// build patches from generic maps write them.
func sortedJSON(js []byte) []byte {
	var v any
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		panic(fmt.Sprintf("synth: re-encode: %v", err))
	}
	return mustJSON(v)
}
