package web

import (
	"fmt"
	"testing"
)

// The streams of everyone together are capped too: in AUTH_MODE=none the per-principal cap is
// per address, and a client with many addresses must not open thousands.
func TestStreamCounterCapsTheTotal(t *testing.T) {
	var c streamCounter
	for i := range maxStreamsTotal {
		if !c.acquire(fmt.Sprint("addr:", i)) {
			t.Fatalf("stream %d of %d distinct clients refused", i+1, maxStreamsTotal)
		}
	}
	if c.acquire("addr:one-more") {
		t.Fatalf("stream %d accepted past the total of %d", maxStreamsTotal+1, maxStreamsTotal)
	}
	c.release("addr:0")
	if !c.acquire("addr:one-more") {
		t.Error("a released stream did not free a place")
	}
	// Releasing more than was taken gives back nothing more.
	for range 3 {
		c.release("addr:one-more")
	}
	if c.total != maxStreamsTotal-1 || c.n["addr:one-more"] != 0 {
		t.Errorf("after releases: total %d, one-more %d; want %d and 0", c.total, c.n["addr:one-more"], maxStreamsTotal-1)
	}
}
