// Command pixel runs the Pixel pipeline; see `pixel --help`.
package main

import (
	"os"

	"pixel/internal/cli"
)

func main() { os.Exit(cli.Execute()) }
