//go:build noasm || !amd64

package kernels

// fmaPeak: no register-only FMA loop in this build (see peak_amd64.go).
func fmaPeak() (loop func(n int), flops float64, name string) { return nil, 0, "" }
