package results

import (
	"fmt"
	"image/color"
)

// Palette is the colour of each series in figures and in the browser views,
// in order: Okabe and Ito's colour-blind-safe set without its yellow (too
// pale on white), then three of Paul Tol's muted colours, so up to ten
// series never share a colour; past ten the colours repeat and figures tell
// series apart by dashes.
var Palette = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0x00, 0x00, 0x00, 0xFF}, // black
	{0x99, 0x99, 0x33, 0xFF}, // olive (Tol)
	{0x88, 0x22, 0x55, 0xFF}, // wine (Tol)
	{0x33, 0x22, 0x88, 0xFF}, // indigo (Tol)
}

// SeriesColor is the colour of series i.
func SeriesColor(i int) color.RGBA { return Palette[i%len(Palette)] }

// SeriesHex is SeriesColor as a CSS colour, "#0072b2".
func SeriesHex(i int) string {
	c := SeriesColor(i)
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}
