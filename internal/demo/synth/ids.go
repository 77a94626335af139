package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"time"
)

// nameAlphabet is the alphabet Kubernetes uses for generated name suffixes
// and pod-template hashes (no vowels, no confusable digits).
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// rng is the deterministic source of every random choice. Identifiers come
// from their own stream so that adding an identifier does not change the
// shape of the history.
type rng struct {
	r  *rand.Rand // choices, times, sizes
	id *rand.Rand // uuids, name suffixes, container ids
}

func newRNG(seed int64) *rng {
	s := uint64(seed)
	return &rng{
		r:  rand.New(rand.NewPCG(s, 0x5eed_0001)),
		id: rand.New(rand.NewPCG(s, 0x5eed_0002)),
	}
}

// uuid returns a random (version 4 shaped) UUID from the id stream.
func (g *rng) uuid() string {
	hi, lo := g.id.Uint64(), g.id.Uint64()
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	var b [36]byte
	put := func(at int, v uint64, n int) { // n hex digits of v, high first
		for i := n - 1; i >= 0; i-- {
			b[at+i] = hexDigits[v&0xf]
			v >>= 4
		}
	}
	put(0, hi>>32, 8)
	b[8] = '-'
	put(9, hi>>16, 4)
	b[13] = '-'
	put(14, hi, 4)
	b[18] = '-'
	put(19, lo>>48, 4)
	b[23] = '-'
	put(24, lo, 12)
	return string(b[:])
}

// suffix returns n characters of the name alphabet from the id stream.
func (g *rng) suffix(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = nameAlphabet[g.id.IntN(len(nameAlphabet))]
	}
	return string(b)
}

// hex64 returns 64 random hex digits from the id stream (container ids).
func (g *rng) hex64() string {
	var raw [32]byte
	for i := 0; i < 32; i += 8 {
		v := g.id.Uint64()
		for j := range 8 {
			raw[i+j] = byte(v >> (8 * j))
		}
	}
	return hex.EncodeToString(raw[:])
}

// intn returns a choice in [0,n).
func (g *rng) intn(n int) int { return g.r.IntN(n) }

// chance reports true with probability p.
func (g *rng) chance(p float64) bool { return g.r.Float64() < p }

// between returns a duration uniformly in [lo,hi).
func (g *rng) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.r.Int64N(int64(hi-lo)))
}

// exp returns an exponentially distributed duration with the given mean.
func (g *rng) exp(mean time.Duration) time.Duration {
	return time.Duration(g.r.ExpFloat64() * float64(mean))
}

// pick returns a random element.
func pick[T any](g *rng, xs []T) T { return xs[g.r.IntN(len(xs))] }

// digest returns a stable sha256 digest for an image reference.
func digest(ref string) string {
	sum := sha256.Sum256([]byte(ref))
	return "sha256:" + hex.EncodeToString(sum[:])
}
