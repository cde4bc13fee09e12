// Package pixel holds the files that are embedded in the pixel binary.
package pixel

import _ "embed"

// DemoConfig is configs/demo.yaml, the embedded default configuration.
//
//go:embed configs/demo.yaml
var DemoConfig []byte

// SafetySet is the labelled safety-in-crisis set built for the project
// (docs/safety-labels.md); `scorers.safety_set: embedded` uses it.
//
//go:embed testdata/scorers/safety_crisis.jsonl
var SafetySet []byte

// RuleSet is the labelled set the scorers' hand-written rules are measured
// on (docs/rule-labels.md); `scorers.rule_set: embedded` uses it.
//
//go:embed testdata/scorers/rule_cues.jsonl
var RuleSet []byte

// ChatSet holds short support-chat messages without suicidal thoughts
// (docs/rule-labels.md); `scorers.chat_set: embedded` uses it.
//
//go:embed testdata/scorers/chat_distress.jsonl
var ChatSet []byte

// DecoySet holds short messages without suicidal thoughts that use the
// words of imminence (docs/rule-labels.md); `scorers.decoy_set: embedded`
// uses it.
//
//go:embed testdata/scorers/imminence_decoys.jsonl
var DecoySet []byte
