"""Agent assist: routing bands, hand-over/hand-back, suggestions and their decision record."""
