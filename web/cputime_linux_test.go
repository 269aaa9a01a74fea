package web

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time the calling thread has used (lock the
// goroutine to its thread first). Benchmarks on a shared machine measure
// it beside the wall time: other processes stretch the one, not the other.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
