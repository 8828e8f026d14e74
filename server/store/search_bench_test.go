package store

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSearch: the overview's search (Query) and stack filter over 10,000 images, first
// page of 50. "nothing" matches no image, so every row's reference and names (image_search)
// are read: the worst case; "app-99" matches the names of 111 images; "stack" is a stack
// filter that matches none (the seeded images have no stack).
func BenchmarkSearch(b *testing.B) {
	const images = 10_000
	for _, d := range benchDialects {
		b.Run(d.name, func(b *testing.B) {
			s := d.newSeeded(b, images, images)
			ctx := context.Background()
			for _, c := range []struct {
				name string
				f    ImageFilter
			}{
				{"nothing", ImageFilter{Query: "no-such-name"}},
				{"app-99", ImageFilter{Query: "app-99"}},
				{"stack", ImageFilter{Stack: "shop"}},
				{"open-nothing", ImageFilter{Query: "no-such-name", State: StateOpen}},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := s.ListImages(ctx, c.f, SortHost, PageRequest{Limit: 50}); err != nil {
							b.Fatal(fmt.Errorf("%+v: %w", c.f, err))
						}
					}
				})
			}
		})
	}
}
