// Command termatrix is a Matrix chat client for the terminal that can start
// and join calls: Jitsi conferences through room widgets, and 1:1 calls.
package main

import (
	_ "embed"
	"os"

	"github.com/termatrix/termatrix/app"
)

// defaultConfig is the shipped configuration; the user's file overrides it.
//
//go:embed config.json
var defaultConfig []byte

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(app.Main(os.Args[1:], defaultConfig, version, os.Stdout, os.Stderr))
}
