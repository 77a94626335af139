package policy

import (
	"math/bits"
	"slices"
	"strings"
)

// flagCounts holds, per flag bit, how many of an endpoint's applied
// policies carry it, so that a policy joining, leaving or changing its
// flags updates the endpoint's flags without looking at the others.
type flagCounts [flagCount]int32

// slotSet is a set of policy slots.
type slotSet []uint64

func (s slotSet) has(slot int) bool {
	w := slot / 64
	return w < len(s) && s[w]&(1<<(slot%64)) != 0
}

func (s *slotSet) add(slot int) {
	w := slot / 64
	if w >= len(*s) {
		*s = append(*s, make(slotSet, w+1-len(*s))...)
	}
	(*s)[w] |= 1 << (slot % 64)
}

func (s slotSet) remove(slot int) {
	if w := slot / 64; w < len(s) {
		s[w] &^= 1 << (slot % 64)
	}
}

// newSlot numbers a new policy, reusing the numbers of deleted ones so
// that endpoints' slot sets stay small.
func (c *Cache) newSlot() int {
	if n := len(c.freeSlots); n > 0 {
		s := c.freeSlots[n-1]
		c.freeSlots = c.freeSlots[:n-1]
		return s
	}
	c.slots++
	return c.slots - 1
}

// freeSlot releases the number of a deleted policy, which applies to no
// endpoint any more.
func (c *Cache) freeSlot(slot int) { c.freeSlots = append(c.freeSlots, slot) }

// addPolicy records that p applies to v.
func (v *view) addPolicy(p *policy) {
	i, _ := slices.BinarySearchFunc(v.applied, p, comparePolicies)
	v.applied = slices.Insert(v.applied, i, p)
	v.appliedSlots.add(p.slot)
	v.countFlags(p.flags, 1)
	v.idsStale = true
}

// removePolicy records that p no longer applies to v.
func (v *view) removePolicy(p *policy) {
	i, ok := slices.BinarySearchFunc(v.applied, p, comparePolicies)
	if !ok || v.applied[i] != p {
		i = slices.Index(v.applied, p)
	}
	if i >= 0 {
		v.applied = slices.Delete(v.applied, i, i+1)
		v.appliedSlots.remove(p.slot)
		v.countFlags(p.flags, -1)
		v.idsStale = true
	}
}

func comparePolicies(a, b *policy) int { return strings.Compare(a.idText, b.idText) }

// policyFlagsChanged updates v for one of its applied policies' flags
// changing from old to now, and reports whether v's flags changed.
func (v *view) policyFlagsChanged(old, now Flags) bool {
	before := v.flags
	v.countFlags(now&^old, 1)
	v.countFlags(old&^now, -1)
	return v.flags != before
}

// countFlags adds delta to the counts of the bits of f and updates the
// view's flags from them.
func (v *view) countFlags(f Flags, delta int32) {
	for f != 0 {
		i := bits.TrailingZeros16(uint16(f))
		f &= f - 1
		v.counts[i] += delta
		if v.counts[i] > 0 {
			v.flags |= 1 << i
		} else {
			v.flags &^= 1 << i
		}
	}
}

// appliedIDs returns the IDs of the applied policies, sorted; the slice is
// shared and never modified.
func (v *view) appliedIDs() []ResourceID {
	if v.idsStale {
		v.ids = idsOf(v.applied, policyID)
		v.idsStale = false
	}
	return v.ids
}

// publish copies the endpoint's state into its published view and reports
// whether anything visible changed. Published slices are replaced, never
// modified, and only when their contents change.
func (ep *endpoint) publish() bool {
	pub, v := &ep.pub, ep.view
	flags := v.flags
	if ep.envoy {
		flags |= EnvoyEnabled
	}
	changed := pub.Deleted != ep.deleted || pub.InScope != v.inScope || pub.Flags != flags ||
		pub.ServiceAccount != ep.saName || pub.FlowAggregationName != ep.aggName
	pub.Deleted, pub.InScope, pub.Flags = ep.deleted, v.inScope, flags
	pub.ServiceAccount, pub.FlowAggregationName = ep.saName, ep.aggName
	if ids := v.appliedIDs(); !sameSlice(ids, pub.AppliedPolicies) {
		if !slices.Equal(ids, pub.AppliedPolicies) {
			changed = true
		}
		pub.AppliedPolicies = ids
	}
	if ep.servicesDirty {
		ep.servicesDirty = false
		if !sameIDs(ep.services, pub.Services, serviceID) {
			pub.Services = idsOf(ep.services, serviceID)
			changed = true
		}
	}
	return changed
}

// sameSlice reports whether a and b are the same slice.
func sameSlice(a, b []ResourceID) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func policyID(p *policy) ResourceID   { return p.def.id }
func serviceID(s *service) ResourceID { return s.id }

// sameIDs reports whether the IDs of xs are ids.
func sameIDs[T any](xs []T, ids []ResourceID, id func(T) ResourceID) bool {
	if len(xs) != len(ids) {
		return false
	}
	for i, x := range xs {
		if id(x) != ids[i] {
			return false
		}
	}
	return true
}

// idsOf returns the IDs of xs in a new slice, nil when there are none.
func idsOf[T any](xs []T, id func(T) ResourceID) []ResourceID {
	if len(xs) == 0 {
		return nil
	}
	out := make([]ResourceID, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}
