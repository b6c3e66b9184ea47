// Command bench measures termatrix and prints figures, side by side with
// the floor of the same work in the same run. It never passes or fails on
// a time: these machines are noisy, so it reports.
//
//	go run -tags goolm ./cmd/bench scale [-rooms 1000] [-events 100]
//
// scale serves a generated account over loopback HTTP (internal/synthhs, a
// synthetic homeserver for load only), runs the real termatrix binary
// against it in a pseudo-terminal, and prints the cold and warm start
// times, memory, CPU under a trickle of messages, bytes written to the
// terminal per idle sync, the store's size and what a flood of large
// messages costs.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench scale [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "scale":
		err = runScale(os.Args[2:])
	case floorSyncCmd:
		err = runFloorSync(os.Args[2:])
	default:
		err = fmt.Errorf("unknown bench %q (want: scale)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
