// Package pixel holds the files that are embedded in the pixel binary.
package pixel

import _ "embed"

// DemoConfig is configs/demo.yaml, the embedded default configuration.
//
//go:embed configs/demo.yaml
var DemoConfig []byte
