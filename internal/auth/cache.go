package auth

import (
	"container/list"
	"sync"
	"time"
)

// ttlCache is a bounded map whose entries expire. When full it evicts the
// least recently used entry. It is safe for concurrent use.
type ttlCache[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	items map[K]*list.Element // of *cacheEntry[K, V]
	order *list.List          // most recently used first
}

type cacheEntry[K comparable, V any] struct {
	key     K
	val     V
	expires time.Time
}

func newTTLCache[K comparable, V any](max int, now func() time.Time) *ttlCache[K, V] {
	return &ttlCache[K, V]{max: max, now: now, items: map[K]*list.Element{}, order: list.New()}
}

// get returns the value stored under k if it has not expired.
func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.items[k]
	if !ok {
		return zero, false
	}
	e := el.Value.(*cacheEntry[K, V])
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, k)
		return zero, false
	}
	c.order.MoveToFront(el)
	return e.val, true
}

// put stores v under k for ttl. A non-positive ttl or size stores nothing.
func (c *ttlCache[K, V]) put(k K, v V, ttl time.Duration) {
	if ttl <= 0 || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &cacheEntry[K, V]{key: k, val: v, expires: c.now().Add(ttl)}
	if el, ok := c.items[k]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.items[k] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry[K, V]).key)
	}
}

// len returns the number of stored entries, expired or not.
func (c *ttlCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
