package stackconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadFile reads a Pulumi.<stack>.yaml, turns its `config:` map into the
// strings Pulumi hands a program (scalars as written, lists and objects as
// JSON), and parses it. The stack name comes from the file name.
func LoadFile(path string) (Stack, error) {
	values, err := ReadFile(path)
	if err != nil {
		return Stack{}, err
	}
	stack, err := stackName(path)
	if err != nil {
		return Stack{}, err
	}
	s, err := Parse(stack, values)
	if err != nil {
		return Stack{}, fmt.Errorf("stackconfig: %s: %w", path, err)
	}
	return s, nil
}

// ReadFile returns the config of a Pulumi.<stack>.yaml as Pulumi hands it to a
// program: full keys to strings, structured values JSON-encoded. The mock
// tests use it to feed the real stack files to the program.
func ReadFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("stackconfig: %w", err)
	}
	var file struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("stackconfig: %s: %w", path, err)
	}
	values := make(map[string]string, len(file.Config))
	for key, node := range file.Config {
		v, err := configString(&node)
		if err != nil {
			return nil, fmt.Errorf("stackconfig: %s: %s: %w", path, key, err)
		}
		values[key] = v
	}
	return values, nil
}

// configString renders one config value the way the Pulumi engine passes it
// to a program.
func configString(node *yaml.Node) (string, error) {
	if node.Kind == yaml.ScalarNode {
		return node.Value, nil
	}
	var v any
	if err := node.Decode(&v); err != nil {
		return "", err
	}
	if m, ok := v.(map[string]any); ok {
		if _, secure := m["secure"]; secure && len(m) == 1 {
			return "", fmt.Errorf("is an encrypted secret, which only the Pulumi CLI can read")
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// stackName returns "dev" for ".../Pulumi.dev.yaml".
func stackName(path string) (string, error) {
	base := filepath.Base(path)
	name, ok := strings.CutPrefix(base, "Pulumi.")
	if ok {
		name, ok = strings.CutSuffix(name, ".yaml")
	}
	if !ok || name == "" {
		return "", fmt.Errorf("stackconfig: %s: a stack file is named Pulumi.<stack>.yaml", path)
	}
	return name, nil
}

// File returns the path of the stack file of stack in the project directory dir.
func File(dir, stack string) string {
	return filepath.Join(dir, "Pulumi."+stack+".yaml")
}
