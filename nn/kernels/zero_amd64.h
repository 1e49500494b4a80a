// Zeroing of vector registers, four at a time, for the amd64 kernels.
#define ZERO4Z(a, b, c, d) \
	VPXORD a, a, a; \
	VPXORD b, b, b; \
	VPXORD c, c, c; \
	VPXORD d, d, d

#define ZERO4Y(a, b, c, d) \
	VXORPS a, a, a; \
	VXORPS b, b, b; \
	VXORPS c, c, c; \
	VXORPS d, d, d

// ZERO24Z zeroes Z0..Z23 (the AVX-512 kernels' accumulators).
#define ZERO24Z \
	ZERO4Z(Z0, Z1, Z2, Z3); \
	ZERO4Z(Z4, Z5, Z6, Z7); \
	ZERO4Z(Z8, Z9, Z10, Z11); \
	ZERO4Z(Z12, Z13, Z14, Z15); \
	ZERO4Z(Z16, Z17, Z18, Z19); \
	ZERO4Z(Z20, Z21, Z22, Z23)
