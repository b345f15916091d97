"""Places: the gazetteer (GeoNames cities and admin1 regions), name folding, distances."""
