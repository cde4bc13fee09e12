package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"pixel"
)

// DemoName is how the embedded default configuration is named in messages.
const DemoName = "embedded:configs/demo.yaml"

// Load reads the YAML file at path ("" or DemoName: the embedded demo
// config), applies --set overrides ("key.path=value"), and validates.
func Load(path string, overrides []string) (*Config, error) {
	name, data := DemoName, pixel.DemoConfig
	if path != "" && path != DemoName {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w (fix: pass an existing YAML file, e.g. --config configs/demo.yaml)", err)
		}
		name, data = path, b
	}
	return Parse(name, data, overrides)
}

// Parse decodes YAML over the defaults, strictly: unknown keys are errors
// that name the file and line.
func Parse(name string, data []byte, overrides []string) (*Config, error) {
	cfg, err := Defaults()
	if err != nil {
		return nil, err
	}
	if err := decodeStrict(data, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(overrides) > 0 {
		// Overrides go onto the node tree of the merged config and are decoded
		// again, so a typo in a --set key is caught as strictly as in a file.
		merged, err := yaml.Marshal(cfg)
		if err != nil {
			return nil, err
		}
		var root yaml.Node
		if err := yaml.Unmarshal(merged, &root); err != nil {
			return nil, err
		}
		for _, o := range overrides {
			if err := applySet(root.Content[0], o); err != nil {
				return nil, err
			}
		}
		if merged, err = yaml.Marshal(&root); err != nil {
			return nil, err
		}
		cfg = &Config{}
		if err := decodeStrict(merged, cfg); err != nil {
			// Line numbers would point into the merged document, not a file.
			msg := lineRef.ReplaceAllString(err.Error(), "")
			return nil, fmt.Errorf("--set %s: %s", strings.Join(overrides, " "), msg)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return cfg, nil
}

var lineRef = regexp.MustCompile(`line \d+: `)

// Defaults is the embedded demo configuration: any key a file leaves out
// takes the demo's value.
func Defaults() (*Config, error) {
	cfg := &Config{}
	if err := decodeStrict(pixel.DemoConfig, cfg); err != nil {
		return nil, fmt.Errorf("embedded demo config: %w", err)
	}
	return cfg, nil
}

func decodeStrict(data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w (fix: check the key names and types against configs/demo.yaml)", err)
	}
	return nil
}

// applySet sets one "a.b.0.c=value" override on a YAML mapping node.
func applySet(root *yaml.Node, set string) error {
	key, raw, ok := strings.Cut(set, "=")
	if !ok || key == "" {
		return fmt.Errorf("--set %q: want key=value, e.g. --set train.lr=1e-4", set)
	}
	var val yaml.Node
	if err := yaml.Unmarshal([]byte(raw), &val); err != nil || len(val.Content) == 0 {
		val = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: raw}}}
	}
	node := root
	parts := strings.Split(key, ".")
	for i, p := range parts {
		last := i == len(parts)-1
		switch node.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for j := 0; j+1 < len(node.Content); j += 2 {
				if node.Content[j].Value == p {
					next = node.Content[j+1]
					if last {
						node.Content[j+1] = val.Content[0]
					}
				}
			}
			if next == nil {
				next = &yaml.Node{Kind: yaml.MappingNode}
				if last {
					next = val.Content[0]
				}
				node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p}, next)
			}
			node = next
		case yaml.SequenceNode:
			idx, err := strconv.Atoi(p)
			if err != nil || idx < 0 || idx >= len(node.Content) {
				return fmt.Errorf("--set %s: %q is not an index of a %d-item list (fix: use 0..%d)", key, p, len(node.Content), len(node.Content)-1)
			}
			if last {
				node.Content[idx] = val.Content[0]
			}
			node = node.Content[idx]
		default:
			return fmt.Errorf("--set %s: %q is a value, not a section (fix: check the key path against configs/demo.yaml)", key, strings.Join(parts[:i], "."))
		}
	}
	return nil
}
